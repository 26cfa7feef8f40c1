#!/usr/bin/env bash
# Installs the real clients and servers the full test suite drives, where missing:
# Debian's chromium + chromium-driver, MailDev (SMTP capture with a JSON API), axe-core
# (accessibility checks injected into pages), nginx (the proxy_cache recipe's test), and
# Python's feedparser, icalendar and schemathesis (scripts/schemathesis.sh).
# Idempotent; .ci/run calls it. Without these, the tests that need them skip with a reason.
set -euo pipefail
need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
command -v wrk >/dev/null 2>&1 || need_apt+=(wrk)
[ -x /usr/sbin/nginx ] || need_apt+=(nginx-light)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing ${need_apt[*]}" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >&2
fi
if [ ! -x /opt/maildev/node_modules/.bin/maildev ]; then
  echo "installing maildev" >&2
  npm install --silent --no-audit --no-fund --prefix /opt/maildev maildev@3.0.0 >&2
fi
if [ ! -f /opt/axe/node_modules/axe-core/axe.min.js ]; then
  echo "installing axe-core" >&2
  npm install --silent --no-audit --no-fund --prefix /opt/axe axe-core@4 >&2
fi
python3 -c "import feedparser, icalendar" 2>/dev/null || {
  echo "installing feedparser icalendar" >&2
  python3 -m pip install -q feedparser icalendar >&2
}
python3 -c "import openapi_spec_validator" 2>/dev/null || {
  echo "installing openapi-spec-validator" >&2
  python3 -m pip install -q openapi-spec-validator >&2
}
# scripts/schemathesis.sh: the API against its openapi.json.
command -v schemathesis >/dev/null 2>&1 || {
  echo "installing schemathesis" >&2
  python3 -m pip install -q 'schemathesis>=4,<5' >&2
}
command -v chromium chromedriver >&2
test -x /usr/sbin/nginx
test -x /opt/maildev/node_modules/.bin/maildev
test -f /opt/axe/node_modules/axe-core/axe.min.js
python3 -c "import feedparser, icalendar"
python3 -c "import openapi_spec_validator"
command -v schemathesis >&2
