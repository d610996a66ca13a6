"""The field app for boundary inspectors (界线联检) at ``/field/``: an installable web app
that works without signal (service worker, IndexedDB outbox), served by the service."""

from api.field.routes import router

__all__ = ["router"]
