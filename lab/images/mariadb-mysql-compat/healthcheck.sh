#!/bin/sh
# Health of dockyard-lab/mariadb-mysql-compat: 0 once the real server answers on TCP
# 127.0.0.1 (MYSQL_TCP_PORT, default 3306), non-zero before. The server that runs while the
# first start initialises the data listens on no TCP port, so it never counts as healthy.
#
# It logs in with the credentials of the container's environment - root's from
# MYSQL_ROOT_PASSWORD(_FILE), else MYSQL_USER's from MYSQL_PASSWORD(_FILE) - passed in
# MYSQL_PWD, never on a command line. Like `mysqladmin ping`, whose exit status it returns,
# it reports an answering server as alive even when those credentials are refused (they
# are ignored once the data exists, so they may be stale); the login only keeps failed
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
root_password=$(value_of MYSQL_ROOT_PASSWORD)
if [ -n "$root_password" ]; then
	user=root
	password=$root_password
elif [ -n "${MYSQL_ALLOW_EMPTY_PASSWORD:-}" ] && [ -z "${MYSQL_RANDOM_ROOT_PASSWORD:-}" ]; then
	user=root
elif [ -n "$(value_of MYSQL_USER)" ]; then
	user=$(value_of MYSQL_USER)
	password=$(value_of MYSQL_PASSWORD)
fi

set -- --protocol=tcp --host=127.0.0.1 --port="${MYSQL_TCP_PORT:-3306}" --connect-timeout=3
if [ -n "$user" ]; then
	set -- "$@" --user="$user"
fi
MYSQL_PWD=$password
export MYSQL_PWD
exec mariadb-admin "$@" ping --silent
