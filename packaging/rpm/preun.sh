# deltabridge %preun: on erase ($1 = 0), stop the running instances, gateways
# and sinks first, since their program goes away. An upgrade keeps them running.
if [ "$1" -eq 0 ] && [ -d /run/systemd/system ]; then
  systemctl stop 'deltabridge-gateway@*.service' >/dev/null 2>&1 || :
  systemctl stop 'deltabridge-sink@*.service' >/dev/null 2>&1 || :
  systemctl stop 'deltabridge@*.service' >/dev/null 2>&1 || :
fi
exit 0
