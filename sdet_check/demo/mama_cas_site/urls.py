"""URLs of the demo django-mama-cas server: mama-cas under ``/cas/``, its login view ours."""

from django.urls import include, path, re_path

from sdet_check.demo.mama_cas_site.site import DemoLoginView

# Our login view answers first; mama-cas' own URL names (cas_login, ...) stay as it reverses them.
urlpatterns = [
    re_path(r"^cas/login/?$", DemoLoginView.as_view(), name="cas_login"),
    path("cas/", include("mama_cas.urls")),
]
