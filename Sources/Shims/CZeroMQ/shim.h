#include <zmq.h>
// eventfd wakes a thread blocked in zmq_poll; Swift's Glibc module does not export it.
#include <sys/eventfd.h>
