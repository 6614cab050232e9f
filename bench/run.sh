#!/usr/bin/env bash
# Load benchmark: builds in release; for each scale, loads bench data into a fresh private PostgreSQL under
# bench/var, starts the server and drives wrk against it; prints a Markdown table per scale (median of RUNS runs
# per figure) and, for more than one scale, how each request's p50 compares; keeps it all in bench/results/.
# See bench/README.md.
#
#   bench/run.sh                                       # 100,000 incidents, 3 runs of 10 s per row
#   SCALES="100000 1000000" bench/run.sh               # the same requests at each scale
#   SCALES=2000 RUNS=1 DURATION=3 bench/run.sh         # a quick try
set -euo pipefail

# SCALE, a single scale, is what this script took before SCALES.
read -r -a SCALE_LIST <<<"${SCALES:-${SCALE:-100000}}"
RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
PORT=${BENCH_PORT:-18080}
PASSWORD=incident-desk-demo

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
DATA=$BENCH_DIR/var
RESULTS=$BENCH_DIR/results
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/incident-desk
URL=http://127.0.0.1:$PORT
export BENCH_WRK_DIR=$BENCH_DIR/wrk
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PG_DATA=$DATA/postgres/data
PG_SOCKET=$DATA/postgres/run

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

log() { printf '[bench] %s\n' "$*" >&2; }

if ! command -v wrk >/dev/null; then
    log "wrk is missing; installing the Debian package wrk"
    apt-get install -y wrk >&2 || { apt-get update >&2 && apt-get install -y wrk >&2; }
fi

SERVER_PID=
WORK=
# Stops the server and the private cluster, if running.
stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        # SIGINT: the server stops gracefully and stops its private PostgreSQL after it.
        kill -INT "$SERVER_PID"
        for _ in $(seq 60); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=
    if [ -f "$PG_DATA/postmaster.pid" ]; then
        as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
    fi
}
cleanup() {
    set +e
    stop_server
    [ -z "$WORK" ] || rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# As root the private cluster belongs to the postgres OS user (see src/db/embedded.rs).
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
sql() { psql -X -q -t -A -h "$PG_SOCKET" -U postgres -d incident_desk -c "$1"; }
now() { date +%s.%N; }

log "building (release)"
(cd "$ROOT" && cargo build --release --bin incident-desk >&2)

export INCIDENT_DESK_DATA_DIR=$DATA
mkdir -p "$RESULTS"
# Per scale: a table (scale-N.md) and its rows as "name|connections|rps|p50|p99|errors|ok/s|rss|server µs|PostgreSQL µs"
# (scale-N.rows; the two CPU figures are empty on the rows that run two wrk at once or time the sign-in storm).
WORK=$(mktemp -d)

# Signs in; prints the session cookie.
sign_in() {
    local jar page token
    jar=$(mktemp)
    page=$(curl -fs -c "$jar" "$URL/login")
    token=$(grep -o 'name="csrf_token" value="[0-9a-f]*"' <<<"$page" | sed 's/.*value="//; s/"//')
    curl -s -o /dev/null -b "$jar" -c "$jar" --data-urlencode "email=$1" --data-urlencode "password=$PASSWORD" \
        --data-urlencode "csrf_token=$token" "$URL/login"
    awk '$6 == "incident_desk_session" { print $6 "=" $7 }' "$jar"
    rm -f "$jar"
}

# The CSRF token of a signed-in session.
csrf_of() { curl -fs -H "Cookie: $1" "$URL/incidents/new" | grep -o 'name="csrf_token" value="[0-9a-f]*"' | head -1 |
    sed 's/.*value="//; s/"//'; }

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : "") }'; }
peak_rss_reset() { echo 5 >"/proc/$SERVER_PID/clear_refs"; }
peak_rss_mb() { awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$SERVER_PID/status"; }
rss_mb() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$SERVER_PID/status"; }
# CPU time (clock ticks) a process has used; with "children", also that of the children it has waited for.
ticks() { awk -v all="${2:-}" '{ t = $14 + $15; if (all) t += $16 + $17; print t }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# CPU ticks of the server, and of the whole PostgreSQL cluster (the postmaster, its live and its ended children).
server_ticks() { ticks "$SERVER_PID"; }
cluster_ticks() {
    local postmaster total child
    postmaster=$(head -1 "$PG_DATA/postmaster.pid")
    total=$(ticks "$postmaster" children)
    for child in $(ps -o pid= --ppid "$postmaster"); do total=$((total + $(ticks "$child"))); done
    echo "$total"
}

# One row: the median of each figure over RUNS runs of `wrk` with a script and its environment.
#   measure NAME SCRIPT CONNECTIONS [VAR=VALUE ...]
measure() {
    local name=$1 script=$2 connections=$3 runs=()
    shift 3
    for run in $(seq "$RUNS"); do
        peak_rss_reset
        local line app_before pg_before cpu
        app_before=$(server_ticks)
        pg_before=$(cluster_ticks)
        line=$(env "$@" wrk -t1 -c"$connections" -d"${DURATION}s" --timeout 10s -s "$BENCH_WRK_DIR/$script" "$URL" |
            grep '^RESULT')
        # Where a request's cost goes: CPU microseconds per request in the server and in PostgreSQL.
        cpu=$(awk -v n="$(awk '{ print $6 }' <<<"$line")" -v a="$(($(server_ticks) - app_before))" \
            -v p="$(($(cluster_ticks) - pg_before))" -v hz="$(getconf CLK_TCK)" \
            'BEGIN { if (n > 0) printf "%.0f %.0f", a / hz / n * 1e6, p / hz / n * 1e6; else print "0 0" }')
        runs+=("$line $(peak_rss_mb) $cpu")
        log "$name run $run: ${line#RESULT } rss=$(peak_rss_mb) MB cpu µs/request (server, PostgreSQL)=$cpu"
    done
    emit_row "$name" "$connections" "${runs[@]}"
}

# Prints the row of medians from lines "RESULT rps p50 p99 errors requests extra rss [server_us pg_us]".
emit_row() {
    local name=$1 connections=$2
    shift 2
    local column values=()
    for column in 2 3 4 5 7 8 9 10; do
        values+=("$(printf '%s\n' "$@" | awk -v c="$column" '{ print $c }' | median)")
    done
    printf '%s|%s|%s|%s|%s|%s|%s|%s|%s|%s\n' "$name" "$connections" "${values[@]}" | tee -a "$ROWS" >&2
}

get() { measure "$1" get.lua "$CONNECTIONS" BENCH_PATH="$2" BENCH_COOKIE="${3:-}"; }

# Loads, serves and measures one scale; leaves its table and rows in $WORK.
bench_scale() {
    SCALE=$1
    log "loading $SCALE incidents into a fresh private database under $DATA"
    rm -rf "$DATA"
    mkdir -p "$DATA"
    "$BIN" migrate >/dev/null
    start=$(now)
    # The loading process's peak memory, where GNU time is at hand.
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f '%M' -o "$DATA/load.rss" "$BIN" demo --scale "$SCALE" >/dev/null
        LOAD_RSS=", peak RSS $(awk '{ printf "%.0f", $1 / 1024 }' "$DATA/load.rss") MB"
    else
        "$BIN" demo --scale "$SCALE" >/dev/null
        LOAD_RSS=
    fi
    LOAD_SECONDS=$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
    log "loaded in ${LOAD_SECONDS} s$LOAD_RSS"

    log "starting the server on $URL"
    BIND_ADDR=127.0.0.1:$PORT RUST_LOG=warn "$BIN" serve >"$DATA/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 120); do curl -fs "$URL/healthz" >/dev/null && break; sleep 0.5; done
    curl -fs "$URL/healthz" >/dev/null || { log "the server did not start; see $DATA/server.log"; exit 1; }
    # The bulk load leaves dirty pages, WAL and an unset visibility map behind; settle them before measuring.
    log "settling the database after the load (VACUUM ANALYZE, CHECKPOINT)"
    sql "VACUUM ANALYZE" >/dev/null
    sql "CHECKPOINT" >/dev/null

    declare -A COOKIE
    for role in admin manager support account executive client vendor; do
        COOKIE[$role]=$(sign_in "$role@example.com")
        [ -n "${COOKIE[$role]}" ] || { log "cannot sign in as $role@example.com"; exit 1; }
    done
    ADMIN=${COOKIE[admin]}
    # The administrator's dashboard checks the audit chain a slice of entries per view, from where this server's
    # last walk stopped; a fresh server starts at the first entry. Walk it to the head once, so the rows measure
    # views in use rather than the one-off catch-up after a start (at a million incidents, ~11 million entries).
    log "catching the audit chain check up to the head"
    walk_start=$(now)
    for _ in $(seq 5000); do
        curl -fs -H "Cookie: $ADMIN" "$URL/" | grep -q 'Intact (' && break
    done
    log "audit chain checked to the head in $(awk -v a="$walk_start" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s"

    # What the requests point at: a deep page's cursor, a busy incident, a report, a valid target to report on.
    DEEP_OFFSET=$((SCALE / 2))
    DEEP=$(sql "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || '%2B00:00_' || incident_id
                FROM incidents ORDER BY created_at DESC, incident_id DESC OFFSET $DEEP_OFFSET LIMIT 1")
    DEEP_PAGE=$((DEEP_OFFSET / 50 + 2))
    INCIDENT=$(sql "SELECT incident_id FROM incident_updates GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
    REPORT=$(sql "SELECT r.report_id FROM incident_reports r JOIN incidents i USING (incident_id)
                  WHERE i.severity = 'P1' AND i.status = 'closed' ORDER BY r.report_id DESC LIMIT 1")
    TARGET=$(sql "SELECT s.client_id || ' ' || c.component_id FROM subscriptions s
                  JOIN infrastructure_components c USING (product_id) WHERE s.status = 'active' ORDER BY 1 LIMIT 1")
    EMAILS=$(sql "SELECT string_agg(email, ',' ORDER BY user_id) FROM users WHERE status = 'active'")
    read -r REPORT_CLIENT REPORT_COMPONENT <<<"$TARGET"

    TABLE=$WORK/scale-$SCALE.md
    ROWS=$WORK/scale-$SCALE.rows
    : >"$ROWS"

    log "measuring: $RUNS run(s) of ${DURATION} s per row, wrk -t1 -c$CONNECTIONS"
    get "GET /login" /login
    # The same page for a browser that has a session: the cheapest page that reads the database (its session).
    get "GET /login, with a session" /login "$ADMIN"
    get "GET /healthz" /healthz
    for role in admin manager support account executive client vendor; do
        get "dashboard ($role)" / "${COOKIE[$role]}"
    done
    get "incident list, first page" /incidents "$ADMIN"
    # What compression costs: the same page for a browser that accepts gzip (as every browser does); the plain row
    # above is the same page uncompressed. Both are measured again back to back, plain then gzip, RUNS times, so the
    # ratio compares like with like on this noisy machine.
    measure "incident list, first page, gzip" get.lua "$CONNECTIONS" BENCH_PATH=/incidents BENCH_COOKIE="$ADMIN" \
        BENCH_ENCODING=gzip
    PLAIN_BYTES=$(curl -fs -o /dev/null -w '%{size_download}' -H "Cookie: $ADMIN" "$URL/incidents")
    GZIP_BYTES=$(curl -fs -o /dev/null -w '%{size_download}' -H "Cookie: $ADMIN" -H 'Accept-Encoding: gzip' \
        "$URL/incidents")
    compression_ratios=()
    for run in $(seq "$RUNS"); do
        plain=$(BENCH_PATH=/incidents BENCH_COOKIE="$ADMIN" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s \
            -s "$BENCH_WRK_DIR/get.lua" "$URL" | grep '^RESULT' | awk '{ print $2 }')
        gzipped=$(BENCH_PATH=/incidents BENCH_COOKIE="$ADMIN" BENCH_ENCODING=gzip wrk -t1 -c"$CONNECTIONS" \
            -d"${DURATION}s" --timeout 10s -s "$BENCH_WRK_DIR/get.lua" "$URL" | grep '^RESULT' | awk '{ print $2 }')
        compression_ratios+=("$(awk -v g="$gzipped" -v p="$plain" 'BEGIN { printf "%.1f", 100 * g / p }')")
        log "compression run $run: plain $plain/s, gzip $gzipped/s"
    done
    COMPRESSION_RATIO=$(printf '%s\n' "${compression_ratios[@]}" | median)
    get "incident list, filtered (client 2, closed)" "/incidents?client_id=2&status=closed" "$ADMIN"
    # Every status (`status=`): the cursor is one of all incidents, not only the active ones staff see by default.
    get "incident list, deep page ($DEEP_PAGE)" "/incidents?status=&after=$DEEP&page=$DEEP_PAGE" "$ADMIN"
    get "incident list, search (\"timeouts\")" "/incidents?q=timeouts" "$ADMIN"
    get "incident page" "/incidents/$INCIDENT" "$ADMIN"
    get "printable report" "/reports/$REPORT/print" "$ADMIN"

    log "measuring: CSV export of all incidents"
    csv_runs=()
    for run in $(seq "$RUNS"); do
        before=$(rss_mb)
        peak_rss_reset
        seconds=$(curl -fs -o "$DATA/export.csv" -w '%{time_total}' -H "Cookie: $ADMIN" "$URL/incidents.csv?status=")
        lines=$(($(wc -l <"$DATA/export.csv") - 1))
        csv_runs+=("$seconds $(($(peak_rss_mb) - before)) $lines")
        log "CSV run $run: $seconds s, $lines incidents, memory +$(($(peak_rss_mb) - before)) MB"
    done
    CSV_SECONDS=$(printf '%s\n' "${csv_runs[@]}" | awk '{ print $1 }' | median)
    CSV_GROWTH=$(printf '%s\n' "${csv_runs[@]}" | awk '{ print $2 }' | median)
    CSV_LINES=$(printf '%s\n' "${csv_runs[@]}" | awk '{ print $3 }' | median)

    # The machine's speed drifts by a third between minutes here, so each storm run is paired with a hash-rate
    # measurement taken just before it, and the ratio is the median of the runs' ratios.
    log "measuring: argon2 hash rate on all cores, then a sign-in storm, $RUNS time(s)"
    storm_runs=()
    ratios=()
    hash_rates=()
    for run in $(seq "$RUNS"); do
        hash_rate=$("$BIN" hash-rate --seconds 5 | awk '{ print $1 }')
        peak_rss_reset
        line=$(BENCH_EMAILS="$EMAILS" BENCH_PASSWORD="$PASSWORD" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s \
            -s "$BENCH_WRK_DIR/login.lua" "$URL" | grep '^RESULT')
        storm_runs+=("$line $(peak_rss_mb)")
        hash_rates+=("$hash_rate")
        ratios+=("$(awk -v s="$(awk '{ print $7 }' <<<"$line")" -v h="$hash_rate" 'BEGIN { printf "%.1f", 100 * s / h }')")
        log "sign-in storm run $run: ${line#RESULT }; hash rate $hash_rate/s"
    done
    emit_row "POST /login (storm; ok/s = sign-ins)" "$CONNECTIONS" "${storm_runs[@]}"
    HASH_RATE=$(printf '%s\n' "${hash_rates[@]}" | median)
    LOGIN_RATE=$(tail -1 "$ROWS" | cut -d'|' -f7)
    LOGIN_RATIO=$(printf '%s\n' "${ratios[@]}" | median)

    log "measuring: incident list during a sign-in storm"
    storm_runs=()
    for run in $(seq "$RUNS"); do
        peak_rss_reset
        BENCH_EMAILS="$EMAILS" BENCH_PASSWORD="$PASSWORD" wrk -t1 -c"$CONNECTIONS" -d"$((DURATION + 2))s" --timeout 10s \
            -s "$BENCH_WRK_DIR/login.lua" "$URL" >/dev/null &
        storm=$!
        sleep 1
        line=$(BENCH_PATH=/incidents BENCH_COOKIE="$ADMIN" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s \
            -s "$BENCH_WRK_DIR/get.lua" "$URL" | grep '^RESULT')
        wait "$storm"
        storm_runs+=("$line $(peak_rss_mb)")
        log "list during storm run $run: ${line#RESULT }"
    done
    emit_row "incident list during the sign-in storm" "$CONNECTIONS" "${storm_runs[@]}"

    log "measuring: reporting incidents with 16 clients"
    CSRF=$(csrf_of "${COOKIE[manager]}")
    # A day ago: the form reads the time in the user's own time zone, which may be ahead of UTC.
    DETECTED=$(date -u -d '1 day ago' +%Y-%m-%dT%H:%M)
    FORM="csrf_token=$CSRF&category=Performance&severity=P3&impact_level=medium&urgency_level=medium"
    FORM+="&client_id=$REPORT_CLIENT&component_id=$REPORT_COMPONENT&detection_timestamp=$DETECTED&confirm_duplicate=yes"
    measure "POST /incidents (ok/s = reported)" report.lua 16 BENCH_COOKIE="${COOKIE[manager]}" BENCH_FORM="$FORM"
    REPORT_RATE=$(tail -1 "$ROWS" | cut -d'|' -f7)
    AUDIT=$("$BIN" audit verify || true)

    log "measuring: memory at 256 connections"
    measure "incident list at 256 connections" get.lua 256 BENCH_PATH=/incidents BENCH_COOKIE="$ADMIN"

    {
        echo "Commit $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD || echo ' (with changes)'), $(date -u +%Y-%m-%d)."
        echo "Machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/^Mem/ { print $2 }') GiB;" \
            "load average before the run $LOAD_BEFORE."
        echo "Data: $SCALE incidents, loaded by \`demo --scale $SCALE\` in $LOAD_SECONDS s$LOAD_RSS." \
            "Each row: median of $RUNS runs of wrk -t1 for $DURATION s."
        echo
        echo "| request | connections | requests/s | p50 ms | p99 ms | errors | ok/s | peak RSS MB | server CPU µs/req | PostgreSQL CPU µs/req |"
        echo "|---|---|---|---|---|---|---|---|---|---|"
        sed 's/|/ | /g; s/^/| /; s/$/ |/' "$ROWS"
        echo
        echo "- Compression: the incident list's first page is $PLAIN_BYTES bytes plain, $GZIP_BYTES gzipped; gzipped it serves $COMPRESSION_RATIO % of the plain rate (median of back-to-back pairs; runs: ${compression_ratios[*]})."
        echo "- CSV export of all incidents ($CSV_LINES rows): $CSV_SECONDS s; server memory grew $CSV_GROWTH MB."
        echo "- argon2 (production settings) on all cores: $HASH_RATE hashes/s; sign-ins reached $LOGIN_RATE/s; each storm run against the hash rate measured just before it: $LOGIN_RATIO % (median; runs: ${ratios[*]})."
        echo "- Reporting incidents with 16 clients: $REPORT_RATE incidents/s; afterwards: $AUDIT"
    } >"$TABLE"
    stop_server
}

log "scales: ${SCALE_LIST[*]}"
for scale in "${SCALE_LIST[@]}"; do
    bench_scale "$scale"
done

# Each request's p50 at every scale, and the last scale's against the first's. Rows are matched by their place:
# every scale runs the same requests in the same order, though a name may say its scale (the deep page's number,
# left out here).
compare() {
    local first=${SCALE_LIST[0]} last=${SCALE_LIST[-1]} scale n
    printf '| request |'
    for scale in "${SCALE_LIST[@]}"; do printf ' p50 ms at %s |' "$scale"; done
    printf ' %s against %s |\n|---|' "$last" "$first"
    for scale in "${SCALE_LIST[@]}"; do printf -- '---|'; done
    printf -- '---|\n'
    for n in $(seq "$(wc -l <"$WORK/scale-$first.rows")"); do
        local p50s=()
        for scale in "${SCALE_LIST[@]}"; do
            p50s+=("$(sed -n "${n}p" "$WORK/scale-$scale.rows" | cut -d'|' -f4)")
        done
        printf '| %s |' "$(sed -n "${n}p" "$WORK/scale-$first.rows" | cut -d'|' -f1 | sed 's/ ([0-9]*)$//')"
        printf ' %s |' "${p50s[@]}"
        awk -v a="${p50s[0]}" -v b="${p50s[-1]}" 'BEGIN { printf " %.2f × |\n", (a > 0 ? b / a : 0) }'
    done
}

{
    for scale in "${SCALE_LIST[@]}"; do
        cat "$WORK/scale-$scale.md"
        echo
    done
    if [ "${#SCALE_LIST[@]}" -gt 1 ]; then
        echo "p50 at each scale (same requests, same order):"
        echo
        compare
    fi
} >"$RESULTS/latest.md"
cat "$RESULTS/latest.md"
