# Shared by the page benchmarks (bench-pages.sh, bench-spike.sh); sourced, not run.
# Needs WORK (a temporary folder the caller removes) set before use.

need() { command -v "$1" >/dev/null || { echo "bench: $1 is not installed (scripts/install-test-tools.sh, apt-get install nginx-light wrk)" >&2; exit 1; }; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_for URL: until it answers, at most 10 s.
wait_for() {
  for _ in $(seq 1 100); do
    curl -fs "$1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

# headers_of URL: the response headers that make actiondesk's answer bigger than a bare
# file's (security policy, caching), as nginx `add_header` lines, so nginx sends the same.
headers_of() {
  curl -fsS -o /dev/null -D - "$1" | tr -d '\r' |
    grep -iE '^(content-security-policy|x-content-type-options|referrer-policy|x-frame-options|cache-control|vary):' |
    sed -E 's/^([^:]+): (.*)$/add_header \1 "\2";/'
}

# start_nginx PORT ROOT [HEADERS]: nginx serving ROOT's files (`/x` answers `ROOT/x.html`)
# on PORT, adding HEADERS (add_header lines), in the background; sets NGINX_PID.
start_nginx() {
  local port=$1 root=$2 headers=${3:-} nginx
  nginx=$(command -v nginx || echo /usr/sbin/nginx)
  [ -x "$nginx" ] || { echo "bench: nginx is not installed" >&2; exit 1; }
  # nginx workers run as an unprivileged user when started as root: let them read the page.
  chmod 755 "$WORK" "$root"
  mkdir -p "$WORK/nginx/tmp"
  cat >"$WORK/nginx/nginx.conf" <<CONF
worker_processes auto;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path $WORK/nginx/tmp; proxy_temp_path $WORK/nginx/tmp;
  fastcgi_temp_path $WORK/nginx/tmp; uwsgi_temp_path $WORK/nginx/tmp; scgi_temp_path $WORK/nginx/tmp;
  types { text/html html; }
  server {
    listen 127.0.0.1:$port;
    root $root;
    location / { default_type "text/html; charset=utf-8"; try_files \$uri.html =404; $headers }
  }
}
CONF
  "$nginx" -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" 2>"$WORK/nginx/stderr" &
  NGINX_PID=$!
}

# lua_for PATH_PREFIX FILE [EXTRA_LUA]: a wrk script requesting PATH_PREFIX followed by a ZIP
# drawn at random from $WORK/zips.txt (one a line) for each request, plus EXTRA_LUA.
lua_for() {
  {
    echo "local zips = {"
    sed 's/.*/"&",/' "$WORK/zips.txt"
    echo "}"
    cat <<LUA
init = function(args) math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16)) end
request = function() return wrk.format("GET", "$1" .. zips[math.random(#zips)]) end
LUA
    echo "${3:-}"
  } >"$2"
}

# wrk's latency in milliseconds.
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; printf "%.3f", v}'; }

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }

# run_wrk NAME URL [wrk args…]: one wrk run; appends requests/s, p50 and p99 to the
# RPS/P50/P99 associative arrays under NAME, counts non-2xx in ERRORS[NAME], prints a line.
run_wrk() {
  local name=$1 url=$2 out rps p50 p99 bad
  shift 2
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$url")
  bad=$(echo "$out" | awk '/Non-2xx or 3xx responses/ {print $NF}')
  rps=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}' | to_ms)
  p99=$(echo "$out" | awk '$1=="99%" {print $2}' | to_ms)
  RPS[$name]="${RPS[$name]:-} $rps"; P50[$name]="${P50[$name]:-} $p50"; P99[$name]="${P99[$name]:-} $p99"
  ERRORS[$name]=$(( ${ERRORS[$name]:-0} + ${bad:-0} ))
  printf '%-12s %10s req/s  p50 %8s ms  p99 %8s ms  non-2xx %s\n' "$name" "$rps" "$p50" "$p99" "${bad:-0}"
}

machine() { echo "machine: $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ *//'), $(uname -sr)"; }

# summary TARGET…: medians per target and the ratio to nginx's median requests/s.
summary() {
  local nginx_rps r
  nginx_rps=$(echo "${RPS[nginx]}" | median)
  printf '%-12s %12s %10s %10s %8s %8s\n' target "req/s" "p50 ms" "p99 ms" "vs nginx" "non-2xx"
  for name in "$@"; do
    r=$(echo "${RPS[$name]}" | median)
    printf '%-12s %12s %10s %10s %7.0f%% %8s\n' "$name" "$r" "$(echo "${P50[$name]}" | median)" \
      "$(echo "${P99[$name]}" | median)" "$(awk -v a="$r" -v b="$nginx_rps" 'BEGIN {print 100*a/b}')" "${ERRORS[$name]:-0}"
  done
}
