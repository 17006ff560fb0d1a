"""URLs of the demo django-mama-cas server: mama-cas under ``/cas/``, its login view ours."""

from django.conf import settings
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from mama_cas.views import SamlValidateView

from sdet_check.demo.mama_cas_site.site import DemoLoginView

# Our login view answers first; mama-cas' own URL names (cas_login, ...) stay as it reverses them.
urlpatterns = [re_path(r"^cas/login/?$", DemoLoginView.as_view(), name="cas_login")]
if settings.SDET_SAML_CSRF_EXEMPT:
    # mama-cas leaves /samlValidate under Django's CSRF protection: a service's SOAP POST
    # carries no CSRF token and gets 403. A deployer exempts the view, as done here.
    urlpatterns.append(
        re_path(
            r"^cas/samlValidate/?$",
            csrf_exempt(SamlValidateView.as_view()),
            name="cas_saml_validate",
        )
    )
urlpatterns.append(path("cas/", include("mama_cas.urls")))
