/* A host process that has never seen Swift: dlopens an .ofx binary, calls both entry points and
 * prints each plugin's API, version and identifier. Exit 1 with dlerror() when it cannot load. */
#include <dlfcn.h>
#include <stdio.h>
#include "ofxCore.h"

int main(int argc, char **argv)
{
    if (argc != 2) { fprintf(stderr, "usage: loader BINARY\n"); return 2; }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) { fprintf(stderr, "%s\n", dlerror()); return 1; }
    int (*count)(void) = (int (*)(void))dlsym(lib, "OfxGetNumberOfPlugins");
    OfxPlugin *(*get)(int) = (OfxPlugin * (*)(int)) dlsym(lib, "OfxGetPlugin");
    if (!count || !get) { fprintf(stderr, "missing entry points\n"); return 1; }
    int n = count();
    for (int i = 0; i < n; i++) {
        OfxPlugin *p = get(i);
        /* Hosts keep these pointers: a second call must return the same struct and strings. */
        OfxPlugin *again = get(i);
        if (!p || p != again || p->pluginApi != again->pluginApi || p->pluginIdentifier != again->pluginIdentifier) {
            fprintf(stderr, "plugin %d: OfxGetPlugin is not stable\n", i);
            return 1;
        }
        printf("%s %d %s %u.%u\n", p->pluginApi, p->apiVersion, p->pluginIdentifier, p->pluginVersionMajor, p->pluginVersionMinor);
    }
    if (get(n) != NULL || get(-1) != NULL) { fprintf(stderr, "OfxGetPlugin out of range must be NULL\n"); return 1; }
    return 0;
}
