"""Amazon SageMaker: push images to ECR, train, deploy, invoke, batch-transform, delete.

One job per module:

    session    boto3 session and clients from the standard AWS chain (region, credentials)
    errors     botocore's exceptions translated to :class:`tiffin.errors.DeployError`
    validate   user input refused before any call (role ARN, instance type, S3 URIs, names)
    inputs     command-line values turned into checked specs
    requests   the request dictionaries of the Create* calls, built from typed specs
    ecr        create the repository, log in with the ECR token, tag and push
    jobs       training and batch-transform jobs: start them, describe them
    endpoints  models, endpoint configs and endpoints: deploy, invoke, delete
    logs       CloudWatch Logs of a job, followed across polls without duplicates
    waiting    poll a job or endpoint to a final state (an explicit state enum)
    display    how waiting looks: a live status line on a terminal, plain lines elsewhere

boto3 is the ``aws`` extra (``pip install 'tiffin[aws]'``); it is imported only here.
"""
