/*
 * The self-pipe of both programs: a signal handler writes a byte, and
 * the main loop polls the read end beside its input, so that a signal
 * that comes after the loop looked at its flags still ends the wait.
 */
#ifndef WAKE_H
#define WAKE_H

/* the pipe made: 0, or -1 with errno (wake_fd() is then -1) */
int	 wake_init(void);
/* from a signal handler: errno kept */
void	 wake_signal(void);
/* the read end to poll for POLLIN, or -1 */
int	 wake_fd(void);
/* the bytes taken: call before the flags are looked at */
void	 wake_drain(void);

#endif /* WAKE_H */
