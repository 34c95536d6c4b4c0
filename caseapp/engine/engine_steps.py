"""Engine steps without a tree walk per round, for workflows without subprocesses.

SpiffWorkflow's BpmnWorkflow._do_engine_steps lists the READY tasks with a depth-first walk of
the whole task tree, once per round, and do_engine_steps runs rounds until nothing is left: on
this application's cases that walk is the largest single cost of a command. The same list (the
READY tasks, in depth-first order) is taken here from the workflow's task dictionary, ordered by
each task's path of child positions from the root. A workflow with subprocesses keeps
SpiffWorkflow's own method, whose walk descends into them.
"""

from __future__ import annotations

from types import MethodType

from SpiffWorkflow.util.task import TaskState


def install(workflow):
    """Give this workflow instance the faster round (the class and other instances are untouched)."""
    original = workflow._do_engine_steps

    def do_engine_steps_round(self, will_complete_task=None, did_complete_task=None):
        if self.subprocesses:
            return original(will_complete_task, did_complete_task)
        count = 0
        for task in ready_in_tree_order(self):
            if task.task_spec.manual:
                continue
            if will_complete_task is not None:
                will_complete_task(task)
            task.run()
            count += 1
            if did_complete_task is not None:
                did_complete_task(task)
        return count > 0 or len(self.get_active_subprocesses()) > 0

    workflow._do_engine_steps = MethodType(do_engine_steps_round, workflow)
    return workflow


def ready_in_tree_order(workflow) -> list:
    """READY tasks of the top workflow in depth-first order, as its task iterator lists them."""
    ready = [task for task in workflow.tasks.values() if task.state == TaskState.READY]
    if len(ready) > 1:
        ready.sort(key=_tree_path)
    return ready


def _tree_path(task) -> tuple:
    path = []
    while task.parent is not None:
        parent = task.parent
        path.append(parent._children.index(task.id))
        task = parent
    path.reverse()
    return tuple(path)
