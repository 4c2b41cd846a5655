#include <stdio.h>
#include <editline/readline.h>

/* Swift 6 refuses to read or write imported mutable C globals (shared mutable state), so the few
   readline globals the line editor uses are reached through these functions instead. */

static inline void ceditline_set_readline_name(const char *name) { rl_readline_name = name; }
static inline void ceditline_set_catch_signals(int catch_signals) { rl_catch_signals = catch_signals; }
static inline void ceditline_set_pre_input_hook(rl_hook_func_t *function) { rl_pre_input_hook = function; }
static inline void ceditline_set_attempted_completion(rl_completion_func_t *function) { rl_attempted_completion_function = function; }
static inline void ceditline_set_attempted_completion_over(int over) { rl_attempted_completion_over = over; }
static inline const char *ceditline_line_buffer(void) { return rl_line_buffer; }
static inline int ceditline_point(void) { return rl_point; }
static inline void ceditline_set_done(int done) { rl_done = done; }
