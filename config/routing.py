"""Websocket routes. config.asgi wraps them in AllowedHostsOriginValidator(AuthMiddlewareStack(...))."""

from notifications.routing import websocket_urlpatterns as notifications_websockets

websocket_urlpatterns: list = [*notifications_websockets]
