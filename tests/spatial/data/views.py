from spatial.sp import circle
from spatial.views import visit

Left_Hill = circle([200.0, 200.0], 150.0)


def temp():
    return [read_tag("temp"), node_id()]


def main(parallel, time=None, qor=1.0):
    out = visit(Left_Hill, "Hot", temp, max, time, qor, parallel)
    return out
