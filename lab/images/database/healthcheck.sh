#!/bin/sh
# Health of the lab's database images (dockyard-lab/mysql, dockyard-lab/mariadb): 0 once
# the real server answers on TCP 127.0.0.1 (MYSQL_TCP_PORT, default 3306), non-zero before.
# The server that runs while the first start initialises the data listens on no TCP port,
# so it never counts as healthy.
#
# It logs in with the credentials of the container's environment - root's from
# MYSQL_ROOT_PASSWORD(_FILE), else MYSQL_USER's from MYSQL_PASSWORD(_FILE), the MARIADB_*
# names first where set - passed in MYSQL_PWD, never on a command line. Like `mysqladmin
# ping` (`mariadb-admin ping` in the MariaDB image), whose exit status it returns, it
# reports an answering server as alive even when those credentials are refused (they are
# ignored once the data exists, so they may be stale); the login only keeps failed
# authentications out of the server's log.
set -eu

# value_of NAME: NAME's value, or the content of the file NAME_FILE names.
value_of() {
	eval "_value=\${$1:-}"
	eval "_file=\${${1}_FILE:-}"
	if [ -z "$_value" ] && [ -n "$_file" ] && [ -r "$_file" ]; then
		_value=$(cat "$_file")
	fi
	printf '%s' "$_value"
}

user=""
password=""
# value NAME: the MARIADB_* name's value where it is set (the mariadb image reads it
# first), else the MYSQL_* one's.
value() {
	_v=$(value_of "MARIADB_$1")
	[ -n "$_v" ] || _v=$(value_of "MYSQL_$1")
	printf '%s' "$_v"
}

root_password=$(value ROOT_PASSWORD)
if [ -n "$root_password" ]; then
	user=root
	password=$root_password
elif [ -n "${MYSQL_ALLOW_EMPTY_PASSWORD:-}${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:-}" ] &&
	[ -z "$(value RANDOM_ROOT_PASSWORD)" ]; then
	user=root
elif [ -n "$(value USER)" ]; then
	user=$(value USER)
	password=$(value PASSWORD)
fi

set -- --protocol=tcp --host=127.0.0.1 --port="${MYSQL_TCP_PORT:-3306}" --connect-timeout=3
if [ -n "$user" ]; then
	set -- "$@" --user="$user"
fi
MYSQL_PWD=$password
export MYSQL_PWD
admin=mysqladmin
command -v mariadb-admin >/dev/null 2>&1 && admin=mariadb-admin
exec "$admin" "$@" ping --silent
