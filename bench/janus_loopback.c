/* LD_PRELOAD for the capacity bench's Janus: present the loopback interface as an ordinary one, so Janus (which
   skips loopback interfaces when it gathers ICE candidates) offers 127.0.0.1 and all media stays on loopback. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <string.h>

int getifaddrs(struct ifaddrs **ifap) {
    int (*real)(struct ifaddrs **) = (int (*)(struct ifaddrs **))dlsym(RTLD_NEXT, "getifaddrs");
    int rc = real(ifap);
    if (rc == 0) {
        for (struct ifaddrs *i = *ifap; i != NULL; i = i->ifa_next) {
            if (i->ifa_flags & IFF_LOOPBACK) i->ifa_flags &= ~IFF_LOOPBACK;
        }
    }
    return rc;
}
