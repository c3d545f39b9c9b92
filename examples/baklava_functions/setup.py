"""A Baklava-style project: plain functions declared as entry points, built into images.

    python setup.py predict     # an image serving predict() (initialize() runs first)
    python setup.py train       # an image running train()
    python setup.py execute     # an image running execute() over files with `tiffin batch`

The commands come with tiffin (pip install tiffin); `python_version` and `dockerlines`
are setup keywords it registers. TIFFIN_BASE_IMAGE (or --base-image) picks another
base image than python:<python_version>-slim.
"""

from setuptools import find_packages, setup

setup(
    name="baklava-functions",
    version="0.1.0",
    description="Scale numbers by a factor learned from data",
    packages=find_packages(),
    install_requires=[],
    python_version="3.11",
    dockerlines=[
        "RUN mkdir -p /var/cache/baklava-functions && chmod 777 /var/cache/baklava-functions",
    ],
    entry_points={
        "baklava.train": ["train = baklava_functions.main:train"],
        "baklava.predict": ["predict = baklava_functions.main:predict"],
        "baklava.initialize": ["initialize = baklava_functions.main:initialize"],
        "baklava.execute": ["execute = baklava_functions.main:execute"],
    },
)
