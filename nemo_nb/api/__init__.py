"""The NemoVideo agent API client: :class:`NemoClient`, its typed events, models and errors.

>>> from nemo_nb.api import NemoClient
>>> async with NemoClient() as client:
...     session = await client.create_session()
"""

from nemo_nb import _errors
from nemo_nb._errors import *  # noqa: F403 - the error tree, listed once in _errors.__all__
from nemo_nb.api._client import DEFAULT_BASE_URL, ChatStream, NemoClient
from nemo_nb.api._identity import detect_platform, load_client_id
from nemo_nb.api._models import (
    ChatEvent,
    Credits,
    RenderJob,
    Session,
    SessionState,
    UploadedFile,
    draft_is_exportable,
)

__all__ = [
    "NemoClient",
    "ChatStream",
    "DEFAULT_BASE_URL",
    "ChatEvent",
    "Session",
    "UploadedFile",
    "Credits",
    "SessionState",
    "RenderJob",
    "draft_is_exportable",
    "detect_platform",
    "load_client_id",
]
__all__ += _errors.__all__
