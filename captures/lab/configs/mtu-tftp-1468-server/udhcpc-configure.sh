#!/bin/sh
# udhcpc event script: put the leased address on the interface, nothing else.
case "$1" in bound|renew) ip addr flush dev "$interface"; ip addr add "$ip/$mask" dev "$interface";; esac
