// SPDX-License-Identifier: GPL-2.0
/*
 * The tracepoints of include/rvkvm/trace.h, instantiated once.
 */
#include <rvkvm/rvkvm.h>

#define CREATE_TRACE_POINTS
#include <rvkvm/trace.h>
