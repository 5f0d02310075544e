"""Language choice: Vietnamese unless the officer chose English (language cookie or profile).

Django's LocaleMiddleware would follow the browser's Accept-Language, and many officers'
browsers say English: the product is Vietnamese first, so the header is ignored.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class VietnameseFirstMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        response = self.get_response(request)
        user = getattr(request, "user", None)
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if user is not None and user.is_authenticated and not chosen and user.language != settings.LANGUAGE_CODE:
            # First page after signing in: follow the officer's saved preference from now on.
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                user.language,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=False,
            )
        return response
