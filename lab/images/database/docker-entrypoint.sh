#!/bin/sh
# Entrypoint of the lab's database images: dockyard-lab/mysql (MySQL Server from Debian's
# packages) and dockyard-lab/mariadb (Debian's MariaDB), each started the way its official
# image starts it, with the same environment contract (README.md). The server installed in
# the image decides which: mariadbd makes it the MariaDB image, mysqld the MySQL one.
#
# The first start on an empty data directory initialises it from the environment, runs
# /docker-entrypoint-initdb.d/* against a temporary server that listens on no TCP port,
# stops that server and then execs the real one. Once the data exists the variables are
# ignored, as in the official images. A first start that fails half-way leaves a marker
# in the data directory: later starts refuse that directory instead of serving it.
# Logs go to stderr; the server runs as `mysql`.
# docker_process_sql takes optional client arguments; here it is called without any.
# shellcheck disable=SC2119,SC2120
set -eu

INITDB_DIR=/docker-entrypoint-initdb.d
# Written before the first start initialises, removed once the init process is done.
INCOMPLETE=.dockyard-init-incomplete

if command -v mariadbd >/dev/null 2>&1; then
	FLAVOUR=MariaDB
	SERVER=mariadbd
	CLIENT=mariadb
	TZINFO=mariadb-tzinfo-to-sql
else
	FLAVOUR=MySQL
	SERVER=mysqld
	CLIENT=mysql
	TZINFO=mysql_tzinfo_to_sql
fi

_log() {
	level=$1
	shift
	printf '%s [%s] [Entrypoint]: %s\n' "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" "$level" "$*" >&2
}
note() { _log Note "$@"; }
warn() { _log Warn "$@"; }
die() {
	_log ERROR "$@"
	exit 1
}

# file_env NAME: NAME's value from NAME itself or from the file NAME_FILE names (not both),
# exported as NAME; NAME_FILE is unset. Trailing newlines of the file are dropped.
file_env() {
	_name=$1
	eval "_value=\${$_name:-}"
	eval "_file=\${${_name}_FILE:-}"
	if [ -n "$_value" ] && [ -n "$_file" ]; then
		die "both $_name and ${_name}_FILE are set (but are exclusive)"
	fi
	if [ -n "$_file" ]; then
		[ -r "$_file" ] || die "${_name}_FILE=$_file: the file cannot be read"
		_value=$(cat "$_file")
	fi
	export "$_name=$_value"
	unset "${_name}_FILE"
}

# mariadb_name MYSQL_NAME MARIADB_NAME: the mariadb image reads MARIADB_* first and takes
# MYSQL_* as the old names; a MARIADB_* value (or file) becomes the MYSQL_* one used below.
mariadb_name() {
	eval "_value=\${$2:-}"
	eval "_file=\${${2}_FILE:-}"
	if [ -n "$_value" ] || [ -n "$_file" ]; then
		unset "$1" "${1}_FILE"
		[ -z "$_value" ] || export "$1=$_value"
		[ -z "$_file" ] || export "${1}_FILE=$_file"
	fi
	unset "$2" "${2}_FILE"
}

read_env() {
	if [ "$FLAVOUR" = MariaDB ]; then
		for _pair in ROOT_PASSWORD:ROOT_PASSWORD ALLOW_EMPTY_PASSWORD:ALLOW_EMPTY_ROOT_PASSWORD \
			RANDOM_ROOT_PASSWORD:RANDOM_ROOT_PASSWORD ROOT_HOST:ROOT_HOST DATABASE:DATABASE \
			USER:USER PASSWORD:PASSWORD INITDB_SKIP_TZINFO:INITDB_SKIP_TZINFO \
			ONETIME_PASSWORD:ONETIME_PASSWORD; do
			mariadb_name "MYSQL_${_pair%%:*}" "MARIADB_${_pair#*:}"
		done
	fi
	file_env MYSQL_ROOT_PASSWORD
	file_env MYSQL_DATABASE
	file_env MYSQL_USER
	file_env MYSQL_PASSWORD
}

# line TEXT: TEXT and a newline, backslashes untouched (dash's echo would interpret them).
line() { printf '%s\n' "$*"; }

# SQL string literal (without quotes) and identifier (without backquotes) escaping; in a
# GRANT's database name `_` and `%` are wildcards, so grant_ident escapes them too.
sql_string() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g"; }
# shellcheck disable=SC2016 # backquotes, not an expansion
sql_ident() { printf '%s' "$1" | sed -e 's/`/``/g'; }
grant_ident() { sql_ident "$1" | sed -e 's/[_%]/\\&/g'; }

# server_option OPTION SERVER [ARGS...]: the value the server would use for OPTION.
server_option() {
	_option=$1
	shift
	"$@" --verbose --help --log-bin-index="$(mktemp -u)" 2>/dev/null |
		awk -v opt="$_option" '$1 == opt && /^[^ \t]/ { sub(/^[^ \t]+[ \t]+/, ""); print; exit }'
}

check_config() {
	if ! _errors=$("$@" --verbose --help --log-bin-index="$(mktemp -u)" 2>&1 >/dev/null); then
		die "$SERVER failed while checking its configuration
	command was: $* --verbose --help
	$_errors"
	fi
}

# sql [CLIENT ARGS...] < statements: run SQL on the temporary server as root (by socket).
sql() {
	MYSQL_PWD=$ROOT_PASSWORD "$CLIENT" --protocol=socket --socket="$SOCKET" --user=root \
		--batch --skip-column-names "$@"
}

# What the official images offer to sourced /docker-entrypoint-initdb.d/*.sh scripts.
docker_process_sql() {
	if [ -n "$MYSQL_DATABASE" ]; then
		sql --database="$MYSQL_DATABASE" "$@"
	else
		sql "$@"
	fi
}

verify_minimum_env() {
	if [ -z "$MYSQL_ROOT_PASSWORD" ] && [ -z "${MYSQL_ALLOW_EMPTY_PASSWORD:-}" ] &&
		[ -z "${MYSQL_RANDOM_ROOT_PASSWORD:-}" ]; then
		if [ "$FLAVOUR" = MariaDB ]; then
			die "Database is uninitialized and password option is not specified
    You need to specify one of MARIADB_ROOT_PASSWORD, MARIADB_ROOT_PASSWORD_FILE, MARIADB_ALLOW_EMPTY_ROOT_PASSWORD or MARIADB_RANDOM_ROOT_PASSWORD
    (or MYSQL_ROOT_PASSWORD, MYSQL_ROOT_PASSWORD_FILE, MYSQL_ALLOW_EMPTY_PASSWORD, MYSQL_RANDOM_ROOT_PASSWORD)"
		fi
		die "Database is uninitialized and password option is not specified
    You need to specify one of the following as an environment variable:
    - MYSQL_ROOT_PASSWORD (or MYSQL_ROOT_PASSWORD_FILE)
    - MYSQL_ALLOW_EMPTY_PASSWORD
    - MYSQL_RANDOM_ROOT_PASSWORD"
	fi
	if [ "$MYSQL_USER" = root ]; then
		die "MYSQL_USER=\"root\", MYSQL_USER and MYSQL_PASSWORD are for configuring a regular user and cannot be used for the root user
    Remove MYSQL_USER=\"root\" and use one of the following to control the root user password:
    - MYSQL_ROOT_PASSWORD
    - MYSQL_ALLOW_EMPTY_PASSWORD
    - MYSQL_RANDOM_ROOT_PASSWORD"
	fi
	if [ -n "$MYSQL_USER" ] && [ -z "$MYSQL_PASSWORD" ]; then
		warn "MYSQL_USER specified, but missing MYSQL_PASSWORD; MYSQL_USER will not be created"
	elif [ -z "$MYSQL_USER" ] && [ -n "$MYSQL_PASSWORD" ]; then
		warn "MYSQL_PASSWORD specified, but missing MYSQL_USER; MYSQL_PASSWORD will be ignored"
	fi
}

# init_datadir SERVER [ARGS...]: the system tables in the empty data directory.
init_datadir() {
	shift
	if [ "$FLAVOUR" = MariaDB ]; then
		# Its advice on stdout (set a root password, remove the test database) is done below.
		mariadb-install-db --datadir="$DATADIR" --rpm --auth-root-authentication-method=normal \
			--skip-test-db --default-time-zone=SYSTEM --skip-log-bin --expire-logs-days=0 \
			"$@" >/dev/null
	else
		mysqld --initialize-insecure --default-time-zone=SYSTEM "$@"
	fi
}

start_temp_server() {
	note "Starting temporary server"
	"$@" --skip-networking --default-time-zone=SYSTEM --socket="$SOCKET" \
		--loose-innodb-buffer-pool-load-at-startup=0 &
	TEMP_PID=$!
	# PID 1 ignores signals it has no handler for: stop the temporary server on docker stop.
	trap 'stop_temp_server; exit 143' TERM INT
	_tries=120
	until sql -e 'SELECT 1' >/dev/null 2>&1; do
		kill -0 "$TEMP_PID" 2>/dev/null || die "the temporary server exited during startup"
		_tries=$((_tries - 1))
		[ "$_tries" -gt 0 ] || die "the temporary server did not answer within 120 s"
		sleep 1
	done
	note "Temporary server started"
}

stop_temp_server() {
	if [ -n "${TEMP_PID:-}" ]; then
		note "Stopping temporary server"
		kill -TERM "$TEMP_PID" 2>/dev/null || true
		wait "$TEMP_PID" || die "the temporary server did not shut down cleanly"
		TEMP_PID=
		note "Temporary server stopped"
	fi
	trap - TERM INT
}

setup_db() {
	if [ -z "${MYSQL_INITDB_SKIP_TZINFO:-}" ]; then
		# Warnings about files that are not zones (leap-seconds.list, ...) are expected.
		"$TZINFO" /usr/share/zoneinfo 2>/dev/null | sql --database=mysql
	fi
	if [ -n "${MYSQL_RANDOM_ROOT_PASSWORD:-}" ]; then
		MYSQL_ROOT_PASSWORD=$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32)
		export MYSQL_ROOT_PASSWORD
		note "GENERATED ROOT PASSWORD: $MYSQL_ROOT_PASSWORD"
	fi
	root_host=${MYSQL_ROOT_HOST:-%}
	root_pw=$(sql_string "$MYSQL_ROOT_PASSWORD")

	# mariadb-install-db also makes anonymous users and root@<hostname>/127.0.0.1/::1;
	# mysqld --initialize makes root@localhost and its own system accounts only.
	drop=$(sql -e "SELECT CONCAT(QUOTE(User), '@', QUOTE(Host)) FROM mysql.user
		WHERE User = '' OR (User = 'root' AND Host <> 'localhost')" | paste -sd, -)

	{
		line "SET @@SESSION.SQL_LOG_BIN = 0;"
		line "SET @@SESSION.SQL_MODE = REPLACE(@@SESSION.SQL_MODE, 'NO_BACKSLASH_ESCAPES', '');"
		[ -z "$drop" ] || line "DROP USER IF EXISTS $drop;"
		line "DROP DATABASE IF EXISTS test;"
		line "ALTER USER 'root'@'localhost' IDENTIFIED BY '$root_pw';"
		if [ "$root_host" != localhost ]; then
			host=$(sql_string "$root_host")
			line "CREATE USER 'root'@'$host' IDENTIFIED BY '$root_pw';"
			line "GRANT ALL ON *.* TO 'root'@'$host' WITH GRANT OPTION;"
			line "GRANT PROXY ON ''@'%' TO 'root'@'$host' WITH GRANT OPTION;"
		fi
		if [ -n "$MYSQL_DATABASE" ]; then
			# The server's character set and collation, as the official images create it.
			line "CREATE DATABASE IF NOT EXISTS \`$(sql_ident "$MYSQL_DATABASE")\`;"
		fi
		if [ -n "$MYSQL_USER" ] && [ -n "$MYSQL_PASSWORD" ]; then
			user=$(sql_string "$MYSQL_USER")
			line "CREATE USER '$user'@'%' IDENTIFIED BY '$(sql_string "$MYSQL_PASSWORD")';"
			if [ -n "$MYSQL_DATABASE" ]; then
				line "GRANT ALL ON \`$(grant_ident "$MYSQL_DATABASE")\`.* TO '$user'@'%';"
			fi
		fi
		line "FLUSH PRIVILEGES;"
	} | sql
	ROOT_PASSWORD=$MYSQL_ROOT_PASSWORD
	[ -z "$MYSQL_DATABASE" ] || note "Creating database $MYSQL_DATABASE"
	[ -z "$MYSQL_USER" ] || [ -z "$MYSQL_PASSWORD" ] || note "Creating user $MYSQL_USER"
}

process_init_files() {
	for f in "$INITDB_DIR"/*; do
		[ -e "$f" ] || continue
		case $f in
		*.sh)
			if [ -x "$f" ]; then
				note "$0: running $f"
				"$f"
			else
				note "$0: sourcing $f"
				# shellcheck disable=SC1090
				. "$f"
			fi
			;;
		*.sql)
			note "$0: running $f"
			docker_process_sql <"$f"
			;;
		*.sql.gz)
			note "$0: running $f"
			gunzip -c "$f" | docker_process_sql
			;;
		*) warn "$0: ignoring $f" ;;
		esac
	done
}

# Options alone mean "the server with these options"; the MariaDB image also takes
# mysqld, its server's old name.
if [ $# -eq 0 ] || [ "${1#-}" != "$1" ]; then
	set -- "$SERVER" "$@"
fi
if [ "$FLAVOUR" = MariaDB ] && [ "$1" = mysqld ]; then
	shift
	set -- mariadbd "$@"
fi
if [ "$1" != "$SERVER" ]; then
	exec "$@"
fi

note "Entrypoint script for $FLAVOUR Server $("$SERVER" --version | awk '{ print $3 }') started."
check_config "$@"
DATADIR=$(server_option datadir "$@")
DATADIR=${DATADIR%/}
SOCKET=$(server_option socket "$@")
if [ -z "$DATADIR" ] || [ -z "$SOCKET" ]; then
	die "could not read datadir and socket from $SERVER --verbose --help"
fi

if [ "$(id -u)" = 0 ]; then
	# A volume may belong to anyone: give the data to mysql, then drop root for good.
	mkdir -p "$DATADIR"
	find "$DATADIR" \! -user mysql -exec chown mysql:mysql '{}' +
	socket_dir=$(dirname "$SOCKET")
	if [ ! -d "$socket_dir" ]; then
		mkdir -p "$socket_dir"
		chown mysql:mysql "$socket_dir"
	fi
	# Read the *_FILE secrets while still root, as the official images do before gosu:
	# secret files are often root's alone (0600). read_env exports the values and unsets
	# the *_FILE names, so the unprivileged pass below does not read them again.
	[ -d "$DATADIR/mysql" ] || read_env
	note "Switching to dedicated user 'mysql'"
	exec setpriv --reuid=mysql --regid=mysql --init-groups -- "$0" "$@"
fi

if [ -e "$DATADIR/$INCOMPLETE" ]; then
	die "the first start's initialisation of $DATADIR did not finish (see that start's log):
    this data directory is not used. Remove the volume (or empty the directory) and start again."
fi
if [ ! -d "$DATADIR/mysql" ]; then
	read_env
	verify_minimum_env
	ls "$INITDB_DIR"/ >/dev/null
	found=$(find "$DATADIR" -mindepth 1 -maxdepth 1 -printf '%f\n' | head -5 | paste -sd' ' -)
	if [ -n "$found" ]; then
		die "$DATADIR has files but no system database: it is not a $FLAVOUR data directory
    ($found). Start with an empty volume."
	fi

	# Before anything is written (mysqld --initialize accepts a directory holding only
	# dot files): a start that dies from here on leaves the marker behind.
	: >"$DATADIR/$INCOMPLETE"
	note "Initializing database files"
	init_datadir "$@"
	note "Database files initialized"

	ROOT_PASSWORD=""
	start_temp_server "$@"
	setup_db
	process_init_files
	if [ -n "${MYSQL_ONETIME_PASSWORD:-}" ]; then
		line "ALTER USER 'root'@'$(sql_string "${MYSQL_ROOT_HOST:-%}")' PASSWORD EXPIRE;" | sql
	fi
	stop_temp_server
	rm "$DATADIR/$INCOMPLETE"
	note "$FLAVOUR init process done. Ready for start up."
else
	note "Data found in $DATADIR: MYSQL_* variables are ignored."
fi

exec "$@"
