from spatial.sp import circle, SpatialTimeout

Left_Hill = circle([200.0, 200.0], 150.0)

def main():
    max_temp, max_id = None, -1
    for i in range(1000):
        try:
            t = {Left_Hill: Hot[i, 10.0]}.temp      # migrate to the i-th Hot node of the hill, read "temp"
        except SpatialTimeout:
            break                                   # no further Hot node found in time
        if max_temp is None or t > max_temp:
            max_temp, max_id = t, i
    {Left_Hill: Hot[max_id]}.water = True           # write the "water" actuator tag on that node
    return [max_temp, node_id()]
