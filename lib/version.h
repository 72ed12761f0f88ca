#ifndef QP_VERSION_H
#define QP_VERSION_H
#define QP_VERSION "0.1.0"
#endif
