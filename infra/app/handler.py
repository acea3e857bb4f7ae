"""The example micro app: answers with the model it is configured to use."""
import os


def handler(event, context):
    return {"model": os.environ.get("MODEL_PROVIDER", "big-llm"), "git_sha": os.environ.get("GIT_SHA", "dev"), "echo": event}
