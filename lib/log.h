/*
 * log.h - messages on stderr, prefixed with the program name.
 *
 * Levels: -q shows errors only, the default adds warnings and notices,
 * each -v adds info and then debug.  stdout is never touched.
 */
#ifndef QP_LOG_H
#define QP_LOG_H

enum log_level { LOG_ERR = 0, LOG_WARN, LOG_NOTICE, LOG_INFO, LOG_DEBUG };

void	log_init(const char *progname);
void	log_set_level(int);
int	log_level(void);
const char *log_progname(void);

void	log_msg(enum log_level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#define log_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARN, __VA_ARGS__)
#define log_notice(...)	log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
