package internet

// soReusePort is SO_REUSEPORT, which Linux's syscall package does not
// name (it is 15 on every Linux architecture).
const soReusePort = 0xf
