#!/usr/bin/env bash
# Installs Debian packages with apt for the project's tasks, one apt at a time:
# the tasks that need packages (PostgreSQL, PgBouncer, Chromium, Node) may run
# side by side, and two apt-get processes on one machine fail on dpkg's lock.
# Reads fresh package lists when the stored ones are stale.
#   db/apt.sh PACKAGE...
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: db/apt.sh PACKAGE..." >&2; exit 2; }
export DEBIAN_FRONTEND=noninteractive
# Waits for an apt started outside the project too, instead of failing on it.
APT=(apt-get -o DPkg::Lock::Timeout=600 -y -qq)
exec 9>/var/lock/trail-apt.lock
flock 9
"${APT[@]}" install "$@" >&2 || { "${APT[@]}" update >&2 && "${APT[@]}" install "$@" >&2; }
