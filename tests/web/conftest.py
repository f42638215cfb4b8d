from browser_support import browser  # noqa: F401 - fixture
from web_fixtures import (  # noqa: F401 - fixtures
    app,
    backend,
    client_for,
    database,
    make_app,
    password_hash,
    pipeline,
    world,
)
