/* A C program using inertia through its C ABI: heavy-ball SGD on
 * f(w) = |w|^2 / 2 (gradient w) must converge to 0. Exit status 0 on success. */
#include <inertia/inertia.h>
#include <stdio.h>
#include <string.h>

static double magnitude(double x) { return x < 0 ? -x : x; }

int main(void) {
  enum { n = 19, steps = 300 };
  double w[n], g[n], v[n], largest = 0.0;
  const inertia_sgd_options options = {0.1, 0.9, 0.0, 0.0, 0, 0};
  char version[32];
  int i, step;
  sprintf(version, "%d.%d.%d", INERTIA_VERSION_MAJOR, INERTIA_VERSION_MINOR, INERTIA_VERSION_PATCH);
  if (strcmp(inertia_version(), version) != 0) {
    fprintf(stderr, "consumer.c: library %s, header %s\n", inertia_version(), version);
    return 1;
  }
  for (i = 0; i < n; ++i) w[i] = (i % 2 ? -1.0 : 1.0) * (1.0 + i);
  for (step = 0; step < steps; ++step) {
    inertia_status status;
    memcpy(g, w, sizeof w);
    status = inertia_sgd_step_f64(w, g, v, n, &options, step == 0);
    if (status != INERTIA_OK) {
      fprintf(stderr, "consumer.c: step %d: %s: %s\n", step, inertia_status_string(status), inertia_last_error());
      return 1;
    }
  }
  for (i = 0; i < n; ++i)
    if (magnitude(w[i]) > largest) largest = magnitude(w[i]);
  if (!(largest < 1e-4)) {
    fprintf(stderr, "consumer.c: after %d steps max |w| = %g, expected < 1e-4\n", steps, largest);
    return 1;
  }
  if (inertia_sgd_step_f64(w, g, NULL, n, &options, 0) != INERTIA_ERROR_NULL_POINTER ||
      strstr(inertia_last_error(), "momentum_buffer") == NULL) {
    fprintf(stderr, "consumer.c: a NULL momentum_buffer was not refused as expected\n");
    return 1;
  }
  printf("consumer.c: inertia %s on %s, max |w| = %g after %d steps\n", inertia_version(), inertia_arch(), largest,
         steps);
  return 0;
}
