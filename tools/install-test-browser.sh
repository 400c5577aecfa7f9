#!/bin/sh
# The browser tests (tests/test_browser.py) drive the system Chromium through
# chromedriver.  Install both from Debian/Ubuntu packages when missing; never a
# downloaded browser build.  Without root (and no password-less sudo) say what
# to run and carry on: those tests then skip, and pytest's summary lists them
# with this reason (set HALLSIM_REQUIRE_BROWSER=1 to make a missing browser an
# error instead).
set -u
have() { command -v "$1" >/dev/null 2>&1; }
if { have chromium || have chromium-browser; } && have chromedriver; then
    exit 0
fi
if [ "$(id -u)" = 0 ]; then
    SUDO=""
elif have sudo && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    SUDO="none"
fi
if [ "$SUDO" != none ] && have apt-get; then
    install() {
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            chromium chromium-driver >/dev/null
    }
    # a fresh machine may have no package lists yet
    if install || { $SUDO apt-get update -q >/dev/null && install; }; then
        echo "install-test-browser: installed chromium and chromium-driver"
        exit 0
    fi
fi
msg="install-test-browser: no chromium/chromedriver; the browser tests will be skipped. Install them with: sudo apt-get install chromium chromium-driver"
if [ "${HALLSIM_REQUIRE_BROWSER:-}" = 1 ]; then
    echo "$msg (HALLSIM_REQUIRE_BROWSER=1)" >&2
    exit 1
fi
echo "$msg" >&2
exit 0
