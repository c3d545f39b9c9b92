"""Container images: plan, render a build context, then build it with an engine.

plan.py         what goes into an image (BuildPlan), from a package or a setuptools project
extras.py       which of tiffin's own extras (grpc, s3...) the image installs, and why
files.py        which files of a package are copied, ignore patterns, digests
render.py       the Dockerfiles from templates/build/ (pure, golden-tested)
context.py      the build context on disk: dependencies/ and image/
selfwheel.py    a wheel of the running tiffin
hermetic.py     every wheel resolved and downloaded on the host for the image's target
project.py      a setuptools project's sdist and wheel
engines/        docker, buildx, podman, buildah, and a recording fake
steps.py, failures.py   reading an engine's output, explaining a failed build
progress.py     the build's status line and log file
builder.py      build_image(): all of the above, in order
run.py, push.py `tiffin run` and `tiffin push`
setuptools_commands.py  `python setup.py train|predict|execute`
"""
