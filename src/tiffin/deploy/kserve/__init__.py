"""KServe and plain Kubernetes: render, check, apply, watch and delete a model server.

One job per module:

    spec        what a deployment is made of (image, storage, ports, resources, scaling)
    source      a package PATH or an IMAGE reference -> the image and default names
    manifest    the serving.kserve.io/v1beta1 InferenceService (custom predictor)
    raw         a Deployment, a Service and an autoscaler, for clusters without KServe
    render      objects as YAML for `kubectl apply -f`
    names       the names Kubernetes and KServe accept
    quantities  resource quantities (500m, 2Gi)
    checks      what the CRD's schema cannot say, checked on the rendered objects
    schema      the CRD's own openAPIV3Schema, shipped (see NOTICE) and applied
    cluster     the kubeconfig (or in-cluster config): which context and namespace
    rest        one REST call through the Kubernetes client's connection (any release)
    api         server-side apply, read and delete, the API's errors made readable
    readiness   how ready an InferenceService or a Deployment is
    waiting     wait until ready (or gone), with a timeout; what Ctrl-C leaves behind
    display     how waiting looks: a live status line on a terminal, plain lines elsewhere
    deploy      the steps above put together for the CLI

The Kubernetes client and jsonschema are the ``kserve`` extra
(``pip install 'tiffin[kserve]'``); they are imported only when a command needs them.
"""
