/* tvchat --batch: JSON lines in (commands), JSON lines out (events). */
#ifndef TVCHAT_BATCH_H
#define TVCHAT_BATCH_H

#include "client.h"

void	batch_emit(void *, json_object *);
int	batch_run(struct client *);

#endif
