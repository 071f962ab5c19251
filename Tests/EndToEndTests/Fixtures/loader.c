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
        printf("%s %d %s %u.%u\n", p->pluginApi, p->apiVersion, p->pluginIdentifier, p->pluginVersionMajor, p->pluginVersionMinor);
    }
    return 0;
}
