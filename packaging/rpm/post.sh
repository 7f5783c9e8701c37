# deltabridge %post: the state directory (never part of the package, so
# removing the package leaves it alone), and a running systemd told about the
# units. On an upgrade ($1 > 1) the running instances restart: bridges first,
# then sinks and gateways. Enables and starts nothing.
if [ ! -d /var/lib/deltabridge ]; then
  install -d -o deltabridge -g deltabridge -m 0750 /var/lib/deltabridge
fi
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || :
  if [ "$1" -gt 1 ]; then
    systemctl try-restart 'deltabridge@*.service' >/dev/null 2>&1 || :
    systemctl try-restart 'deltabridge-sink@*.service' >/dev/null 2>&1 || :
    systemctl try-restart 'deltabridge-gateway@*.service' >/dev/null 2>&1 || :
  fi
fi
exit 0
