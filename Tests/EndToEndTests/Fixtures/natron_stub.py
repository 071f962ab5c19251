#!/usr/bin/env python3
"""Runs a NatronRenderer script (Examples/natron_*.py) against a stand-in for Natron's `app` and writes
what it built as an `ofx-host run` job file, so the test suite can render the script's graph without
Natron: Read (image sequence) -> one OpenFX effect -> Write, with every parameter the script set.

    natron_stub.py SCRIPT BUNDLE FRAMES JOB.json

Natron's API as the scripts use it: app.createReader(path), app.createNode(pluginID),
app.createWriter(path), app.getProjectParam(name) (only "frameRate" is passed on), node.connectInput(index,
node), node.getParam(name).setValue(value), node.setScriptName(name).
"""
import json
import sys


class Param:
    def __init__(self, node, name):
        self.node, self.name = node, name

    def setValue(self, value):
        self.node.values[self.name] = value


class Node:
    def __init__(self, kind, what):
        self.kind, self.what, self.inputs, self.values, self.script_name = kind, what, {}, {}, None

    def connectInput(self, index, node):
        self.inputs[index] = node

    def getParam(self, name):
        return Param(self, name)

    def setScriptName(self, name):
        self.script_name = name


class App:
    def __init__(self):
        self.nodes = []
        self.project = Node("project", None)

    def getProjectParam(self, name):
        return Param(self.project, name)

    def _add(self, node):
        self.nodes.append(node)
        return node

    def createReader(self, path):
        return self._add(Node("reader", path))

    def createNode(self, plugin_id):
        return self._add(Node("effect", plugin_id))

    def createWriter(self, path):
        return self._add(Node("writer", path))


def main():
    script, bundle, frames, job = sys.argv[1:5]
    app = App()
    with open(script) as f:
        code = f.read()
    exec(compile(code, script, "exec"), {"app": app, "__name__": "__main__"})
    writers = [n for n in app.nodes if n.kind == "writer"]
    assert len(writers) == 1, "one Write node"
    effect = writers[0].inputs[0]
    assert effect.kind == "effect", "the Write node reads the effect"
    reader = effect.inputs[0]
    assert reader.kind == "reader", "the effect reads a Read node"

    def text(v):
        return ("1" if v else "0") if isinstance(v, bool) else str(v)

    render = {"bundle": bundle, "effect": effect.what, "input": reader.what, "output": writers[0].what,
              "frames": frames, "set": {k: text(v) for k, v in effect.values.items()}}
    if "frameRate" in app.project.values:
        render["frameRate"] = float(app.project.values["frameRate"])
    with open(job, "w") as f:
        json.dump({"renders": [render]}, f, indent=1)


if __name__ == "__main__":
    main()
