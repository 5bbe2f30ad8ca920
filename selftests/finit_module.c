// SPDX-License-Identifier: GPL-2.0
/*
 * finit_module FILE [PARAMS]: load a module with one finit_module() call.
 *
 * busybox insmod retries a failed finit_module() with init_module(), so a
 * module that refuses to load runs its init twice and logs its refusal
 * twice.  Tests that count those lines load through this instead.  Prints
 * the error and exits 1 on failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
	const char *params = argc > 2 ? argv[2] : "";
	int fd, err;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE [PARAMS]\n", argv[0]);
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (syscall(SYS_finit_module, fd, params, 0)) {
		err = errno;
		printf("finit_module %s: %s (errno %d)\n", argv[1],
		       strerror(err), err);
		return 1;
	}
	close(fd);
	return 0;
}
