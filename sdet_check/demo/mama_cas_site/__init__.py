"""The throw-away Django project that serves django-mama-cas for :mod:`sdet_check.demo.mama_cas`.

Its settings come from a JSON spec the parent process writes (environment variable
``SDET_MAMA_CAS_SPEC``): nothing of it is imported outside the server subprocess.
"""
