#!/usr/bin/env bash
# The busybox applets the guest uses (linked by name into /bin).
echo sh mount umount sed grep head cat echo sleep insmod rmmod lsmod poweroff uname getconf \
  basename ls dmesg find mkdir rm cp ln test [ true false printf wc tr cut base64 readlink
