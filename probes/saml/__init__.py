"""The ``saml`` probe family: the ENT as a SAML 2.0 identity provider, seen by a test SP.

One module per concern: :mod:`~probes.saml.common` (the target's section),
:mod:`~probes.saml.metadata`, :mod:`~probes.saml.certificates`, :mod:`~probes.saml.signatures`,
:mod:`~probes.saml.assertions`, :mod:`~probes.saml.login` (the login machinery),
:mod:`~probes.saml.sso` (the probes of the exchange), :mod:`~probes.saml.keys`. Written against
OASIS SAML 2.0 and several IdPs (SimpleSAMLphp, a pysaml2 IdP, LemonLDAP::NG), never against
one of them.

Metadata (well-formedness, validity period, signature, certificates, endpoints, bindings,
NameID formats), then a service-provider-initiated login with a test account: the probe
builds an ``AuthnRequest`` itself (HTTP-Redirect: raw DEFLATE, base64, ``RelayState``, and a
``SigAlg``/``Signature`` over the query when the target gives the test SP's key), follows
the IdP to its login form, posts the test credentials, and reads the HTTP-POST
``SAMLResponse`` without ever posting it anywhere. Signatures are verified with signxml
against the certificates of the metadata only, never against a certificate the message
carries; only signature-verified content is judged (an unsigned assertion beside a signed
one is reported, never read as if it were signed).

Every XML document the IdP sends goes through :func:`sdet_check.xmlsafe.parse_hostile_xml`
(no DOCTYPE, no entities, no network, bounded size and depth); every network call is bounded
by ``context.call_timeout()`` and every body by :data:`MAX_BODY_BYTES`. Passwords are sent
in the login form's body, over HTTPS, to the IdP's host and nowhere else
(:mod:`sdet_check.login`): no evidence records a request body.
"""

from __future__ import annotations

from probes.saml.assertions import Attributes, Conditions, NameIdFormat
from probes.saml.certificates import Certificates, MetadataSignature
from probes.saml.common import MAX_BODY_BYTES
from probes.saml.metadata import SamlMetadata
from probes.saml.signatures import Signature
from probes.saml.sso import Bindings, Login, UnknownSp
from sdet_check.probe import Probe

PROBES: tuple[type[Probe], ...] = (
    SamlMetadata,
    MetadataSignature,
    Certificates,
    Bindings,
    NameIdFormat,
    Login,
    Signature,
    Conditions,
    Attributes,
    UnknownSp,
)
"""The ``saml`` family, registered through the ``sdet_check.probes`` entry point."""

__all__ = [
    "MAX_BODY_BYTES",
    "PROBES",
    "Attributes",
    "Bindings",
    "Certificates",
    "Conditions",
    "Login",
    "MetadataSignature",
    "NameIdFormat",
    "SamlMetadata",
    "Signature",
    "UnknownSp",
]
