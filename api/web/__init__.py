"""The web pages for people who do not write code: home, sign-in, the zones editor, layers.

Server-rendered Jinja2 templates (one base layout, ``templates/base.html``; one stylesheet,
``/static/web/app.css``; a small script per page, never inline, so the pages hold a
Content-Security-Policy without ``'unsafe-inline'`` scripts), Chinese first with a 中文 /
English toggle kept in a cookie.

Modules (this package imports nothing at its top, so :mod:`api.auth` may use
:mod:`api.web.session` without a cycle):

- :mod:`api.web.session`  the session cookie, CSRF tokens and safe ``next=`` targets
- :mod:`api.web.i18n`     every label of the pages, in Chinese and English
- :mod:`api.web.render`   templates, the signed-in user of a page, the page headers (CSP)
- :mod:`api.web.access`   page dependencies: sign-in redirects and the "needs a role" page
- :mod:`api.web.routes`   ``/signin``, ``/signout``, ``/lang/{code}``; :mod:`api.web.home`
- :mod:`api.web.docs`     ``/docs`` and ``/redoc`` with local assets
"""
