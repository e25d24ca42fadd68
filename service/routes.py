"""Every route handler the app mounts: the JSON API, plus the add-ons other modules contribute.

To add routes (a page, a widget), append a builder to ``ROUTE_BUILDERS``: it receives the
settings and returns route handlers, controllers or routers for ``create_app`` to mount.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from litestar.types import ControllerRouterHandler

from service.config import Settings
from service.controllers.admin import AdminController
from service.controllers.ask import AskController
from service.controllers.documents import DocumentController
from service.controllers.feedback import FeedbackController
from service.controllers.insights import InsightsController
from service.controllers.ops import OpsController
from service.controllers.search import SearchController

RouteBuilder = Callable[[Settings], Sequence[ControllerRouterHandler]]

API_CONTROLLERS: tuple[ControllerRouterHandler, ...] = (
    SearchController,
    AskController,
    DocumentController,
    OpsController,
    AdminController,
    FeedbackController,
    InsightsController,
)


def _web_routes(settings: Settings) -> Sequence[ControllerRouterHandler]:
    from service.web import web_router

    return [web_router(frame_ancestors=settings.frame_ancestors)]


ROUTE_BUILDERS: list[RouteBuilder] = [_web_routes]


def route_handlers(settings: Settings) -> list[ControllerRouterHandler]:
    handlers = list(API_CONTROLLERS)
    for build in ROUTE_BUILDERS:
        handlers.extend(build(settings))
    return handlers
