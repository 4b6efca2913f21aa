#!/bin/sh
# What the official nginx image's /docker-entrypoint.sh does that the compose file relies on,
# for a command starting with nginx:
# - each executable /docker-entrypoint.d/*.envsh is sourced, in order (it may export settings);
# - every /etc/nginx/templates/NAME.template is written to /etc/nginx/conf.d/NAME with the
#   environment's variables substituted (only those defined: nginx's own $variables stay).
set -eu
if [ "$1" = nginx ]; then
    for script in $(find /docker-entrypoint.d/ -follow -type f -name '*.envsh' 2>/dev/null | sort -V); do
        if [ -x "$script" ]; then
            . "$script"
        else
            echo "$0: ignoring $script, not executable" >&2
        fi
    done
    defined_envs=$(printf '${%s} ' $(awk 'END { for (name in ENVIRON) print name }' </dev/null))
    for template in /etc/nginx/templates/*.template; do
        [ -f "$template" ] || continue
        name=$(basename "$template" .template)
        envsubst "$defined_envs" <"$template" >"/etc/nginx/conf.d/$name"
    done
fi
exec "$@"
