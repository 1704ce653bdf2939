"""``create_app()``: assembles the application from its parts, and nothing else."""

from __future__ import annotations

from litestar import Litestar
from litestar.datastructures import State
from litestar.logging import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin

from server import plugins
from server.accounts.controllers import AdminController, WorkspaceAuthController
from server.accounts.lifecycle_controller import OwnAccountController, PasswordResetController
from server.content.controllers import ContentController
from server.content.media import audio
from server.coordination.controllers import CoordinationController
from server.coordination.join import TypedCodeController
from server.coordination.partner_controller import PartnerInviteController
from server.editor.controllers import ChecksController, EditorController
from server.editor.local_controller import LocalOffersController
from server.engagement.controllers import EngagementController
from server.journeys.controllers import JourneysController
from server.journeys.course_controller import CourseController
from server.journeys.library_controller import LibraryController
from server.lib import paths
from server.lib.api_docs import COMPONENTS
from server.lib.logs import logging_overrides
from server.lib.web import RequestContextMiddleware
from server.participants.controllers import JoinController, SettingsController
from server.pwa.controllers import manifest, offline, service_worker
from server.reminders.controllers import RemindersController
from server.reports.controllers import ReportsController
from server.reports.export_controller import ExportController
from server.settings import get_settings
from server.staff.controllers import StaffController
from server.staff.learning_controller import LearningController
from server.wellbeing.controllers import WellbeingController


def create_app() -> Litestar:
    settings = get_settings()
    app = Litestar(
        route_handlers=[
            ContentController, JoinController, SettingsController, EngagementController, StaffController,
            RemindersController, WorkspaceAuthController, AdminController, EditorController, ChecksController,
            CoordinationController, TypedCodeController, WellbeingController, ReportsController,
            ExportController, JourneysController, OwnAccountController, PasswordResetController,
            LibraryController, CourseController, LocalOffersController, LearningController,
            PartnerInviteController,
            audio, service_worker, manifest, offline, plugins.static_router(), plugins.health, plugins.ready,
        ],
        lifespan=[plugins.database_lifespan],
        template_config=plugins.template_config(),
        middleware=[plugins.csrf(settings)],
        compression_config=plugins.compression_config(),
        exception_handlers=plugins.EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        # The schema describes the JSON API only (its handlers opt in; pages are not an API), served as JSON
        # at /api/schema/openapi.json: no Swagger/Redoc pages, which would load scripts from CDNs.
        include_in_schema=False,
        openapi_config=OpenAPIConfig(title="Pusterum", version="0.1.0", path="/api/schema",
                                     render_plugins=[JsonRenderPlugin()], components=COMPONENTS),
        # Our own handler logs unexpected errors by route name: a raw path may hold an invite code.
        logging_config=LoggingConfig(log_exceptions="never", **logging_overrides(),
                                     root={"level": settings.log_level, "handlers": ["queue_listener"]}),
        state=State({"settings": settings}),
        debug=False,
    )
    # Wrapped around the whole application (not just the routes), so that error pages for unknown URLs
    # also get the security headers and the visitor's language.
    app.asgi_handler = RequestContextMiddleware(app.asgi_handler, settings)
    paths.bind(app)
    return app
