# deltabridge %pre: the deltabridge system user and group, before the files
# (so /etc/deltabridge can belong to the group).
getent group deltabridge >/dev/null || groupadd -r deltabridge
getent passwd deltabridge >/dev/null ||
  useradd -r -g deltabridge -d /var/lib/deltabridge -M -s /sbin/nologin \
    -c "deltabridge change-data-capture bridge" deltabridge
exit 0
