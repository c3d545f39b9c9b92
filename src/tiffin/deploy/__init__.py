"""Deploying packaged models to cloud services (``tiffin sagemaker``, ``tiffin configure``)."""
