/* the exit status of both programs: capturo(8) and detengo(8), EXIT STATUS */
#ifndef EXITS_H
#define EXITS_H

#define EX_OK		0	/* done; capturo: end of file or a signal */
#define EX_RUNTIME	1	/* the capture, the log, the output or a commit failed */
#define EX_USAGE	2	/* bad options or arguments, a bad -A file */
#define EX_RUNNING	3	/* detengo: another detengo holds the state file */
#define EX_FIREWALL	4	/* detengo: the firewall cannot be used */

#endif /* EXITS_H */
