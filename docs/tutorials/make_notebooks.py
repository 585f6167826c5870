"""Writes the tutorial notebooks, English (``NAME.ipynb``) and Korean (``NAME.ko.ipynb``),
from one source: the code cells are shared, each Markdown cell has both languages. Run it
after editing (``python docs/tutorials/make_notebooks.py``); ``tests/test_tutorials.py``
checks the notebooks match it and executes every one.

The notebooks keep the outputs of their last execution, so that the site (which renders
them without running them) shows what each cell prints and draws: a cell whose source is
unchanged keeps its outputs when the notebooks are written again; an edited cell loses them
until ``python docs/tutorials/make_notebooks.py --execute [NAME ...]`` runs the notebooks
(each in a fresh temporary folder, with the live progress bars off: they are redrawn in
place in Jupyter, but would be stored as dozens of half-drawn lines) and stores the outputs.
Run it without ``OMP_NUM_THREADS`` set: the GPU tutorial stores what ``hakseup doctor``
says, which names that variable when it is set.

Every tutorial runs offline in seconds to a minute on a laptop CPU: the data ships with
scikit-learn (digits, breast cancer) or is generated in the notebook; settings are small.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent

KO_SETUP = ("import os\n"
            "from hakseup.i18n import set_language\n"
            "set_language(\"ko\")   # hakseup의 메시지와 보고서를 한국어로\n"
            "os.environ[\"HAKSEUP_LANG\"] = \"ko\"   # 셸에서 부르는 !hakseup 명령도 한국어로")


def md(en: str, ko: str) -> tuple[str, str, str]:
    return ("md", en.strip(), ko.strip())


def code(src: str) -> tuple[str, str, str]:
    return ("code", src.strip(), src.strip())


def cli(args: str) -> str:
    """A shell cell running the hakseup command with the kernel's own Python."""
    return f"import sys\n!{{sys.executable}} -m hakseup {args}"


TUTORIALS: list[tuple[str, list]] = []


def tutorial(slug: str, *cells) -> None:
    TUTORIALS.append((slug, list(cells)))


# ----------------------------------------------------------------------- 1 tensors & autograd
tutorial(
    "01-tensors-autograd",
    md("""
# Tensors and autograd

A tensor is an n-dimensional array that knows its shape, its type and its device, and that
can remember how it was computed so PyTorch can differentiate it. This tutorial builds a
linear regression from those two ideas, then lets `hakseup` fit the same line from a CSV.
""", """
# 텐서와 자동 미분

텐서는 모양(shape), 자료형(dtype), 장치(device)를 아는 n차원 배열이고, 자신이 어떻게 계산되었는지
기억해서 PyTorch가 미분할 수 있게 해 줍니다. 이 튜토리얼은 이 두 가지로 선형 회귀를 만들고,
같은 직선을 `hakseup`이 CSV에서 맞추게 합니다.
"""),
    code("""
import torch

x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
print(x.shape, x.dtype, x.device)
print(x @ x.T)            # matrix product
print(x.sum(dim=0))       # column sums
print(x.reshape(4))       # the same numbers, another shape
"""),
    md("""
## Autograd

A tensor created with `requires_grad=True` records every operation on it. `backward()` walks
that record back and leaves each gradient in `.grad`. For `y = 3w + b` and
`loss = (y - 10)²` at `w = 2, b = 0.5`: `y = 6.5`, so `dloss/dw = 2(y - 10)·3 = -21` and
`dloss/db = 2(y - 10) = -7`.
""", """
## 자동 미분

`requires_grad=True`로 만든 텐서는 자신에게 일어난 모든 연산을 기록합니다. `backward()`는 그 기록을
거꾸로 따라가며 각 기울기를 `.grad`에 남깁니다. `w = 2, b = 0.5`에서 `y = 3w + b`,
`loss = (y - 10)²`이면 `y = 6.5`이므로 `dloss/dw = 2(y - 10)·3 = -21`,
`dloss/db = 2(y - 10) = -7`입니다.
"""),
    code("""
w = torch.tensor(2.0, requires_grad=True)
b = torch.tensor(0.5, requires_grad=True)
y = 3.0 * w + b
loss = (y - 10.0) ** 2
loss.backward()
print(w.grad, b.grad)
"""),
    md("""
## Linear regression by gradient descent

Points on `y = 3x - 2` with noise. The loop is the one every PyTorch model trains with:
predict, measure the loss, clear the old gradients, backpropagate, step.
""", """
## 경사 하강법으로 선형 회귀

`y = 3x - 2`에 잡음을 더한 점들입니다. 이 반복문은 모든 PyTorch 모델이 학습하는 방식 그대로입니다:
예측하고, 손실을 재고, 이전 기울기를 지우고, 역전파하고, 한 걸음 갑니다.
"""),
    code("""
torch.manual_seed(0)
x = torch.rand(200, 1) * 10 - 5
y = 3 * x - 2 + 0.5 * torch.randn(200, 1)

w = torch.zeros(1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
optimizer = torch.optim.SGD([w, b], lr=0.02)
for step in range(300):
    loss = ((x * w + b - y) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"w = {w.item():.3f}, b = {b.item():.3f}, loss = {loss.item():.3f}")
"""),
    md("""
## The same with hakseup

`hakseup.fit` reads a CSV, splits it (training, validation, test), scales the inputs on the
training rows only, trains and reports. A linear model starts from the least-squares fit, and
its equation is printed in the data's own units — the one `predict` applies.
""", """
## hakseup으로 같은 일을

`hakseup.fit`은 CSV를 읽고, 나누고(학습, 검증, 테스트), 학습 행으로만 입력의 스케일을 맞추고,
학습하고, 보고합니다. 선형 모델은 최소제곱 해에서 시작하고, 식은 데이터 단위로 출력됩니다 —
`predict`가 적용하는 바로 그 식입니다.
"""),
    code("""
import pandas as pd
import hakseup

pd.DataFrame({"x": x[:, 0].numpy(), "y": y[:, 0].numpy()}).to_csv("line.csv", index=False)
line = hakseup.fit("line.csv", target="y", model="linear", references="none",
                   tensorboard=False)
print("\\n".join(line.summary))
"""),
    code("""
line.predict(pd.DataFrame({"x": [0.0, 1.0, 2.0]}))
"""),
    md("""
On the command line the same run is
`hakseup train --data line.csv --target y --model linear`.
""", """
명령줄에서는 같은 run이 `hakseup train --data line.csv --target y --model linear`입니다.
"""),
)

# ------------------------------------------------------------- 2 Dataset, DataLoader, transforms
tutorial(
    "02-datasets-dataloaders",
    md("""
# Dataset, DataLoader and transforms

A `Dataset` answers two questions — how many samples, and what is sample `i` — and a
`DataLoader` turns it into shuffled batches. Transforms change a sample on its way out
(normalise it, add noise). The data here are scikit-learn's 8×8 digits, which ship with it.
""", """
# Dataset, DataLoader, 변환

`Dataset`은 두 질문에 답합니다 — 샘플이 몇 개인가, `i`번째 샘플은 무엇인가. `DataLoader`는 그것을
섞인 배치로 바꿉니다. 변환(transform)은 샘플이 나가는 길에 그것을 바꿉니다(정규화, 잡음 추가).
데이터는 scikit-learn에 들어 있는 8×8 숫자 이미지입니다.
"""),
    code("""
import torch
from sklearn.datasets import load_digits
from torch.utils.data import DataLoader, Dataset, random_split

digits = load_digits()


class DigitsDataset(Dataset):
    def __init__(self, images, labels, transform=None):
        self.images = torch.tensor(images, dtype=torch.float32) / 16.0   # pixels 0..16
        self.labels = torch.tensor(labels)
        self.transform = transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        x = self.images[i].unsqueeze(0)          # (1, 8, 8): one channel
        if self.transform is not None:
            x = self.transform(x)
        return x, self.labels[i]
"""),
    md("""
Transforms are plain callables; `Compose` chains them (torchvision has the same class,
`pip install "hakseup[vision]"`).
""", """
변환은 그냥 호출 가능한 객체이고, `Compose`가 이어 붙입니다(torchvision에도 같은 클래스가 있습니다,
`pip install "hakseup[vision]"`).
"""),
    code("""
class Compose:
    def __init__(self, steps):
        self.steps = steps

    def __call__(self, x):
        for step in self.steps:
            x = step(x)
        return x


def add_noise(x, std=0.05):
    return x + std * torch.randn_like(x)


def normalise(x, mean=0.31, std=0.38):
    return (x - mean) / std


dataset = DigitsDataset(digits.images, digits.target, Compose([add_noise, normalise]))
x, label = dataset[0]
print(len(dataset), x.shape, label)
"""),
    code("""
generator = torch.Generator().manual_seed(0)
train_set, val_set = random_split(dataset, [1500, len(dataset) - 1500], generator=generator)
loader = DataLoader(train_set, batch_size=64, shuffle=True)
xb, yb = next(iter(loader))
print(xb.shape, yb.shape, len(loader), "batches per epoch")
"""),
    md("""
## What hakseup does with the same data

`hakseup.load_data` returns a `DataBundle`: stratified training, validation and test splits,
the normalisation fitted on the training images only (a statistic computed on all of them
would leak the test set into training), and a `Schema` describing inputs and outputs.
""", """
## hakseup은 같은 데이터로 무엇을 하나

`hakseup.load_data`는 `DataBundle`을 돌려줍니다: 층화된 학습·검증·테스트 분할, 학습 이미지로만
맞춘 정규화(전체로 계산한 통계는 테스트 셋을 학습에 새게 합니다), 입력과 출력을 설명하는 `Schema`.
"""),
    code("""
import hakseup

bundle = hakseup.load_data(hakseup.DataConfig(dataset="digits"), seed=0)
print(len(bundle.train), len(bundle.val), len(bundle.test))
print(bundle.schema.task, bundle.schema.input_shape, bundle.schema.n_outputs)
print(bundle.train.inputs[0].mean().item(), bundle.train.inputs[0].std().item())
"""),
    md("""
Your own `Dataset` trains with hakseup's `Trainer` too: wrap each split in a `DatasetSplit`
(it goes through a `DataLoader`, transforms included).
""", """
직접 만든 `Dataset`도 hakseup의 `Trainer`로 학습할 수 있습니다: 각 분할을 `DatasetSplit`으로 감싸면
(`DataLoader`를 거치며 변환도 적용됩니다).
"""),
    code("""
from torch import nn

own = hakseup.DataBundle(hakseup.DatasetSplit(train_set), hakseup.DatasetSplit(val_set),
                         hakseup.DatasetSplit(val_set),
                         hakseup.Schema("multiclass", "image", (1, 8, 8), 10), None)
model = nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
history = hakseup.Trainer(epochs=3, lr=0.01).fit(model, own)
history.to_frame()
"""),
)

# ---------------------------------------------------------------------------- 3 MLP on digits
tutorial(
    "03-mlp-digits",
    md("""
# An MLP on handwritten digits

A multilayer perceptron flattens each 8×8 image into 64 numbers and passes them through
fully connected layers. First the whole training loop in plain PyTorch, then the same model
with one `hakseup.fit` call, which adds the split, the checkpoints, the baseline and the
report. (The curriculum uses MNIST's 28×28 images: `hakseup train --recipe mnist-mlp`
downloads them once; digits ship with scikit-learn.)
""", """
# 손글씨 숫자에 MLP

다층 퍼셉트론은 8×8 이미지를 64개의 숫자로 펼쳐 완전 연결 층에 통과시킵니다. 먼저 순수 PyTorch로
학습 루프 전체를, 다음에 같은 모델을 `hakseup.fit` 한 번으로 학습합니다. hakseup은 분할,
체크포인트, 기준선, 보고서를 더해 줍니다. (교과 과정은 MNIST의 28×28 이미지를 씁니다:
`hakseup train --recipe mnist-mlp`가 한 번 내려받습니다. digits는 scikit-learn에 들어 있습니다.)
"""),
    code("""
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

torch.manual_seed(0)
digits = load_digits()
x = torch.tensor(digits.images, dtype=torch.float32) / 16.0
y = torch.tensor(digits.target)
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0,
                                                    stratify=y)
mean, std = x_train.mean(), x_train.std()          # statistics of the training images only
x_train, x_test = (x_train - mean) / std, (x_test - mean) / std

model = nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()
for epoch in range(10):
    model.train()
    for i in torch.randperm(len(x_train)).split(64):
        loss = loss_fn(model(x_train[i]), y_train[i])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
    print(f"epoch {epoch + 1}: loss {loss.item():.3f}, test accuracy {accuracy:.3f}")
"""),
    md("""
## With hakseup

The same architecture (`hidden=[128]`), one call. The result shows the test metrics next to
the majority-class baseline and the classical references, and `plot()` draws the curves.
""", """
## hakseup으로

같은 구조(`hidden=[128]`)를 한 번의 호출로. 결과는 테스트 지표를 다수 클래스 기준선과 고전적 기준
모델 옆에 보여 주고, `plot()`은 곡선을 그립니다.
"""),
    code("""
import hakseup

mlp = hakseup.fit("digits", model="mlp", hidden=[128], dropout=0.0, epochs=10,
                  tensorboard=False)
mlp
"""),
    code("""
mlp.plot()
"""),
    md("""
The model hakseup trained is a plain `nn.Module`:
""", """
hakseup이 학습한 모델은 평범한 `nn.Module`입니다:
"""),
    code("""
print(mlp.model)
mlp.history.tail(3)
"""),
)

# ------------------------------------------------------------------ 4 CNN on colour images
tutorial(
    "04-cnn-colour-images",
    md("""
# A CNN on 3-channel 32×32 images

CIFAR-10's images are 32×32 pixels in three colour channels. To stay offline and fast, this
tutorial draws its own: circles, squares and triangles of random colours on random
backgrounds. The network is the curriculum's: two convolution + pooling blocks, then a
linear layer. (`hakseup train --recipe cifar10-cnn` trains it on CIFAR-10 itself after a
one-time download.)
""", """
# 3채널 32×32 이미지에 CNN

CIFAR-10의 이미지는 세 색 채널의 32×32 픽셀입니다. 오프라인으로 빠르게 하려고 이 튜토리얼은 직접
그립니다: 무작위 배경 위에 무작위 색의 원, 사각형, 삼각형. 신경망은 교과 과정의 것입니다: 합성곱 +
풀링 블록 두 개, 그다음 선형 층. (`hakseup train --recipe cifar10-cnn`은 한 번 내려받은 뒤
CIFAR-10 자체로 학습합니다.)
"""),
    code("""
import numpy as np

rng = np.random.default_rng(0)
CLASSES = ["circle", "square", "triangle"]


def draw(shape: str) -> np.ndarray:
    image = np.full((32, 32, 3), rng.integers(0, 90, 3), dtype=np.uint8)
    cy, cx = rng.integers(11, 21, 2)
    r = rng.integers(6, 10)
    yy, xx = np.mgrid[:32, :32]
    if shape == "circle":
        mask = (xx - cx) ** 2 + (yy - cy) ** 2 <= r ** 2
    elif shape == "square":
        mask = (abs(xx - cx) <= r) & (abs(yy - cy) <= r)
    else:
        mask = (yy - cy <= r) & (yy - cy >= -r) & (abs(xx - cx) <= (yy - cy + r) / 2)
    image[mask] = rng.integers(120, 256, 3)
    return image


labels = np.repeat(np.arange(3), 100)
images = np.stack([draw(CLASSES[k]) for k in labels])
print(images.shape, images.dtype)
"""),
    code("""
import torch
from torch import nn

torch.manual_seed(0)
x = torch.tensor(images, dtype=torch.float32).permute(0, 3, 1, 2) / 255   # (N, 3, 32, 32)
y = torch.tensor(labels)
order = torch.randperm(len(x))
train, test = order[:240], order[240:]
mean = x[train].mean(dim=(0, 2, 3), keepdim=True)     # per channel, training images only
std = x[train].std(dim=(0, 2, 3), keepdim=True)
x = (x - mean) / std

cnn = nn.Sequential(
    nn.Conv2d(3, 16, 5), nn.ReLU(), nn.MaxPool2d(2),    # 32 -> 28 -> 14
    nn.Conv2d(16, 8, 5), nn.ReLU(), nn.MaxPool2d(2),    # 14 -> 10 -> 5
    nn.Flatten(), nn.Linear(8 * 5 * 5, 3))
optimizer = torch.optim.Adam(cnn.parameters(), lr=3e-3)
for epoch in range(6):
    cnn.train()
    for i in train[torch.randperm(len(train))].split(32):
        loss = nn.functional.cross_entropy(cnn(x[i]), y[i])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    cnn.eval()
    with torch.no_grad():
        accuracy = (cnn(x[test]).argmax(1) == y[test]).float().mean().item()
    print(f"epoch {epoch + 1}: test accuracy {accuracy:.3f}")
"""),
    md("""
## With hakseup: a folder of images

A folder with one sub-folder per class is an image dataset to hakseup (PNG, JPEG...). The
same architecture is `--model lenet` with `channels=[16, 8]`.
""", """
## hakseup으로: 이미지 폴더

클래스마다 하위 폴더가 있는 폴더는 hakseup에게 이미지 데이터셋입니다(PNG, JPEG...). 같은 구조는
`--model lenet`에 `channels=[16, 8]`입니다.
"""),
    code("""
from pathlib import Path

from PIL import Image

for k, image in enumerate(images):
    folder = Path("shapes") / CLASSES[labels[k]]
    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(folder / f"{k}.png")

import hakseup

shapes = hakseup.fit("shapes", model="lenet", channels=[16, 8], epochs=6, lr=3e-3,
                     batch_size=32, references="none", tensorboard=False)
shapes
"""),
    code("""
print(shapes.model)
"""),
)

# ------------------------------------------------------------------ 5 LSTM gate by gate
tutorial(
    "05-lstm-gate-by-gate",
    md("""
# An LSTM written gate by gate

An LSTM reads a sequence one step at a time and carries two vectors: the hidden state `h`
and the cell state `c`. At each step four gates are computed from the input and `h`:

- the **input gate** `i` — how much of the new candidate to write,
- the **forget gate** `f` — how much of the old cell state to keep,
- the **candidate** `g` — what could be written,
- the **output gate** `o` — how much of the cell state to show as `h`.

Then `c = f·c + i·g` and `h = o·tanh(c)`.
""", """
# 게이트 하나씩 쓴 LSTM

LSTM은 시퀀스를 한 걸음씩 읽으며 두 벡터를 나릅니다: 은닉 상태 `h`와 셀 상태 `c`. 걸음마다 입력과
`h`에서 네 게이트를 계산합니다:

- **입력 게이트** `i` — 새 후보를 얼마나 쓸지,
- **망각 게이트** `f` — 이전 셀 상태를 얼마나 남길지,
- **후보** `g` — 쓸 수 있는 내용,
- **출력 게이트** `o` — 셀 상태를 `h`로 얼마나 보일지.

그다음 `c = f·c + i·g`, `h = o·tanh(c)`입니다.
"""),
    code("""
import torch
from torch import nn


class ReadableLSTMCell(nn.Module):
    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.x2h = nn.Linear(input_size, 4 * hidden_size)    # the input's part of each gate
        self.h2h = nn.Linear(hidden_size, 4 * hidden_size)   # the previous h's part

    def forward(self, x, state):
        h, c = state
        gates = self.x2h(x) + self.h2h(h)
        i, f, g, o = gates.chunk(4, dim=1)
        i = torch.sigmoid(i)        # input gate
        f = torch.sigmoid(f)        # forget gate
        g = torch.tanh(g)           # candidate
        o = torch.sigmoid(o)        # output gate
        c = f * c + i * g
        h = o * torch.tanh(c)
        return h, c
"""),
    md("""
The cell is PyTorch's own `nn.LSTMCell` written out: given the same weights (PyTorch orders
the gates i, f, g, o too) it gives the same numbers.
""", """
이 셀은 PyTorch의 `nn.LSTMCell`을 풀어 쓴 것입니다: 같은 가중치를 주면(PyTorch도 게이트를
i, f, g, o 순서로 둡니다) 같은 값을 냅니다.
"""),
    code("""
torch.manual_seed(0)
ours, theirs = ReadableLSTMCell(8, 16), nn.LSTMCell(8, 16)
with torch.no_grad():
    ours.x2h.weight.copy_(theirs.weight_ih)
    ours.x2h.bias.copy_(theirs.bias_ih)
    ours.h2h.weight.copy_(theirs.weight_hh)
    ours.h2h.bias.copy_(theirs.bias_hh)
x = torch.randn(4, 8)
state = (torch.zeros(4, 16), torch.zeros(4, 16))
h1, c1 = ours(x, state)
h2, c2 = theirs(x, state)
print(torch.allclose(h1, h2, atol=1e-6), torch.allclose(c1, c2, atol=1e-6))
"""),
    md("""
## Reading digits row by row

Each 8×8 digit becomes a sequence of 8 steps of 8 pixels (MNIST's 28×28 gives 28 steps of
28: `hakseup train --recipe mnist-lstm` after a one-time download). The classifier runs the
cell over the rows and reads the class from the last `h`.
""", """
## 숫자를 한 행씩 읽기

8×8 숫자 하나는 8픽셀씩 8걸음의 시퀀스가 됩니다(MNIST의 28×28은 28픽셀씩 28걸음입니다: 한 번
내려받은 뒤 `hakseup train --recipe mnist-lstm`). 분류기는 셀을 행마다 돌리고 마지막 `h`에서
클래스를 읽습니다.
"""),
    code("""
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

digits = load_digits()
x = torch.tensor(digits.images, dtype=torch.float32) / 16.0      # (N, 8 rows, 8 pixels)
y = torch.tensor(digits.target)
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0,
                                                    stratify=y)


class RowReader(nn.Module):
    def __init__(self, hidden_size: int = 32):
        super().__init__()
        self.hidden_size = hidden_size
        self.cell = ReadableLSTMCell(8, hidden_size)
        self.head = nn.Linear(hidden_size, 10)

    def forward(self, x):
        h = c = x.new_zeros(len(x), self.hidden_size)
        for t in range(x.shape[1]):                   # one row per step
            h, c = self.cell(x[:, t], (h, c))
        return self.head(h)


torch.manual_seed(0)
reader = RowReader()
optimizer = torch.optim.Adam(reader.parameters(), lr=1e-2)
for epoch in range(8):
    for i in torch.randperm(len(x_train)).split(64):
        loss = nn.functional.cross_entropy(reader(x_train[i]), y_train[i])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        accuracy = (reader(x_test).argmax(1) == y_test).float().mean().item()
    print(f"epoch {epoch + 1}: test accuracy {accuracy:.3f}")
"""),
    md("""
## With hakseup

`model="lstm"` reads an image row by row the same way. hakseup's own cell
(`lstm_impl="scratch"`, the default) computes the same gates with a hand-derived backward
pass for speed; `lstm_impl="native"` uses `nn.LSTM`.
""", """
## hakseup으로

`model="lstm"`도 이미지를 같은 방식으로 한 행씩 읽습니다. hakseup의 셀(`lstm_impl="scratch"`,
기본값)은 같은 게이트를 속도를 위해 손으로 유도한 역전파로 계산합니다. `lstm_impl="native"`는
`nn.LSTM`을 씁니다.
"""),
    code("""
import hakseup

rows = hakseup.fit("digits", model="lstm", hidden_size=32, epochs=4, lr=1e-2,
                   references="none", tensorboard=False)
rows
"""),
)

# ------------------------------------------------------------------- 6 forecasting prices
tutorial(
    "06-forecasting-prices",
    md("""
# Forecasting a price series

A daily closing price, generated here (a random walk with drift, like a stock's): trading
days only, a few days missing and a few values blank. Three steps before any model:
regular dates and interpolation, a look at stationarity (ADF and KPSS tests), and
differencing. (The curriculum's Starbucks prices: `hakseup train --recipe sbux-lstm`
downloads them once.)
""", """
# 가격 시계열 예측

일별 종가를 여기서 만듭니다(주가처럼 표류가 있는 랜덤 워크): 거래일만 있고, 며칠이 빠졌고, 몇 값은
비어 있습니다. 모델 전에 세 단계: 규칙적인 날짜와 보간, 정상성 확인(ADF와 KPSS 검정), 차분.
(교과 과정의 스타벅스 주가: `hakseup train --recipe sbux-lstm`이 한 번 내려받습니다.)
"""),
    code("""
import numpy as np
import pandas as pd

rng = np.random.default_rng(0)
days = pd.bdate_range("2022-01-03", periods=320)
close = 50 * np.exp(np.cumsum(rng.normal(0.0005, 0.015, len(days))))
prices = pd.DataFrame({"Date": days, "Close": close.round(2)})
prices = prices.drop(index=rng.choice(len(prices), 12, replace=False))   # missing days
prices.loc[prices.sample(5, random_state=1).index, "Close"] = np.nan     # blank values
print(len(prices), "rows,", prices["Close"].isna().sum(), "blank")
"""),
    md("""
## Regular dates and interpolation

Reindex onto every business day, then interpolate linearly in time.
""", """
## 규칙적인 날짜와 보간

모든 영업일로 다시 색인하고, 시간에 따라 선형 보간합니다.
"""),
    code("""
series = prices.set_index("Date")["Close"]
series = series.reindex(pd.bdate_range(series.index.min(), series.index.max()))
print(series.isna().sum(), "gaps before,", end=" ")
series = series.interpolate(method="time")
print(series.isna().sum(), "after")
"""),
    md("""
## Stationarity

ADF's null hypothesis is "a unit root" (not stationary); KPSS's is "stationary". A price
usually fails both ways; its daily differences usually pass.
""", """
## 정상성

ADF의 귀무가설은 "단위근이 있다"(비정상), KPSS의 귀무가설은 "정상이다"입니다. 가격은 대개 둘 다
비정상을 가리키고, 일별 차분은 대개 정상입니다.
"""),
    code("""
import warnings

from statsmodels.tsa.stattools import adfuller, kpss

for name, values in (("price", series), ("daily change", series.diff().dropna())):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # KPSS warns when p is off its table
        adf_p = adfuller(values)[1]
        kpss_p = kpss(values, nlags="auto")[1]
    print(f"{name:13s} ADF p = {adf_p:.3f}   KPSS p = {kpss_p:.3f}")
"""),
    code("""
from hakseup.data.series.stats import stationarity

print(stationarity(series.to_numpy())["verdict"])
"""),
    md("""
## An LSTM on windows, in plain PyTorch

Inputs: the last 20 daily changes (scaled on the training period); target: the next change.
The forecast of the price is the last price plus the predicted change. The naive forecast —
tomorrow equals today — is the reference to beat.
""", """
## 순수 PyTorch로 창(window)에 LSTM

입력: 최근 20일의 일별 변화(학습 구간으로 스케일), 목표: 다음 변화. 가격 예측은 마지막 가격에
예측한 변화를 더한 값입니다. 이겨야 할 기준은 단순 예측 — 내일은 오늘과 같다 — 입니다.
"""),
    code("""
import torch
from torch import nn

values = series.to_numpy()
change = np.diff(values)
window, n_test = 20, 60
split = len(change) - n_test
scale = change[:split].std()
z = torch.tensor(change / scale, dtype=torch.float32)
starts = np.arange(window, len(change))
X = torch.stack([z[t - window:t] for t in starts]).unsqueeze(-1)   # (N, 20, 1)
Y = z[starts]
train = starts < split


class Forecaster(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(1, 16, batch_first=True)
        self.head = nn.Linear(16, 1)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1]).squeeze(-1)


torch.manual_seed(0)
net = Forecaster()
optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
for epoch in range(15):
    for i in torch.randperm(int(train.sum())).split(32):
        loss = nn.functional.mse_loss(net(X[train][i]), Y[train][i])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
with torch.no_grad():
    predicted_change = net(X[~train]).numpy() * scale
today = values[starts[~train]]                 # the last price before each forecast
actual = values[starts[~train] + 1]
print("MAE, LSTM :", np.abs(today + predicted_change - actual).mean().round(3))
print("MAE, naive:", np.abs(today - actual).mean().round(3))
"""),
    md("""
A random walk has no pattern to learn: a network that does not lose to the naive forecast is
doing well. hakseup scores every forecast next to naive, seasonal-naive, drift, ETS and Theta
references for this reason.

## With hakseup

A time column makes the table a forecasting task: regular dates are filled (interpolated),
stationarity is tested and the series differenced when it needs it, windows are cut, the
split is in time, and the report compares the model with the classical forecasts.
""", """
랜덤 워크에는 배울 패턴이 없습니다: 단순 예측에 지지 않는 신경망이면 잘한 것입니다. 그래서 hakseup은
모든 예측을 naive, seasonal naive, drift, ETS, Theta 기준 옆에서 평가합니다.

## hakseup으로

시간 열이 있으면 표는 예측 문제가 됩니다: 빠진 날짜를 채우고(보간), 정상성을 검정해 필요하면
차분하고, 창을 자르고, 시간 순서로 나누고, 보고서가 모델을 고전적 예측과 비교합니다.
"""),
    code("""
import hakseup

prices.to_csv("prices.csv", index=False)
forecast = hakseup.fit("prices.csv", target="Close", time_col="Date", model="lstm",
                       window=20, horizon=1, epochs=8, tensorboard=False)
forecast
"""),
    code("""
forecast.plot()
"""),
    code("""
print("\\n".join(forecast.notices))
"""),
)

# ------------------------------------------------------------------------ 7 embeddings
tutorial(
    "07-embeddings",
    md("""
# Embeddings for categorical columns

A categorical column (price: low, med, high, vhigh) is a set of names, not numbers. One-hot
encoding gives each level its own input; an **embedding** gives each level a small learned
vector — an `nn.Embedding` is a lookup table trained with the rest of the network. The
table here follows the UCI car-evaluation data (six categorical attributes, four
acceptability classes) and is generated by a rule; the real table (CC BY 4.0) comes with
`hakseup train --recipe car-evaluation` after a one-time download.
""", """
# 범주형 열의 임베딩

범주형 열(price: low, med, high, vhigh)은 숫자가 아니라 이름의 집합입니다. 원-핫 인코딩은 수준마다
입력 하나를 주고, **임베딩**은 수준마다 작은 학습된 벡터를 줍니다 — `nn.Embedding`은 신경망의
나머지와 함께 학습되는 조회 표입니다. 여기의 표는 UCI car-evaluation 데이터를 따르며(범주형 속성
여섯 개, 수용도 클래스 네 개) 규칙으로 만듭니다. 실제 표(CC BY 4.0)는 한 번 내려받은 뒤
`hakseup train --recipe car-evaluation`으로 씁니다.
"""),
    code("""
import itertools

import numpy as np
import pandas as pd

LEVELS = {"price": ["low", "med", "high", "vhigh"], "maint": ["low", "med", "high", "vhigh"],
          "doors": ["2", "3", "4", "5more"], "persons": ["2", "4", "more"],
          "lug_boot": ["small", "med", "big"], "safety": ["low", "med", "high"]}
cars = pd.DataFrame(list(itertools.product(*LEVELS.values())), columns=list(LEVELS))
score = (3 - cars.price.map(LEVELS["price"].index) + 3 - cars.maint.map(LEVELS["maint"].index)
         + cars.lug_boot.map(LEVELS["lug_boot"].index) + 2 * cars.safety.map(LEVELS["safety"].index)
         + (cars.doors != "2"))
cars["class"] = pd.cut(score, [-1, 6, 8, 10, 99], labels=["unacc", "acc", "good", "vgood"])
cars.loc[(cars.safety == "low") | (cars.persons == "2"), "class"] = "unacc"
cars["class"] = cars["class"].astype(str)
print(len(cars), "cars")
cars["class"].value_counts()
"""),
    md("""
## Embeddings in plain PyTorch

Each column's levels become integer codes; each column has its own `nn.Embedding`; the
vectors are concatenated and go through an MLP.
""", """
## 순수 PyTorch로 임베딩

각 열의 수준은 정수 코드가 되고, 열마다 자신의 `nn.Embedding`이 있으며, 벡터들을 이어 붙여 MLP에
넣습니다.
"""),
    code("""
import torch
from torch import nn

columns = list(LEVELS)
codes = torch.tensor(np.stack([cars[c].map(LEVELS[c].index).to_numpy() for c in columns], 1))
classes = sorted(cars["class"].unique())
target = torch.tensor(cars["class"].map(classes.index).to_numpy())


class EmbeddingNet(nn.Module):
    def __init__(self, sizes, dim=4, n_classes=4):
        super().__init__()
        self.embeddings = nn.ModuleList(nn.Embedding(n, dim) for n in sizes)
        self.mlp = nn.Sequential(nn.Linear(dim * len(sizes), 64), nn.ReLU(),
                                 nn.Linear(64, n_classes))

    def forward(self, x):
        vectors = [emb(x[:, j]) for j, emb in enumerate(self.embeddings)]
        return self.mlp(torch.cat(vectors, dim=1))


torch.manual_seed(0)
order = torch.randperm(len(codes))
train, test = order[:1300], order[1300:]
net = EmbeddingNet([len(LEVELS[c]) for c in columns])
optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
for epoch in range(40):
    for i in train[torch.randperm(len(train))].split(64):
        loss = nn.functional.cross_entropy(net(codes[i]), target[i])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
with torch.no_grad():
    print("test accuracy:", (net(codes[test]).argmax(1) == target[test]).float().mean().item())
print(net.embeddings[columns.index("safety")].weight)    # one learned vector per level
"""),
    md("""
## With hakseup

The `tabular` model one-hot encodes a column of up to 8 levels and embeds larger ones;
`embedding_dim` embeds every column (the car-evaluation recipe does). The report's data
section says which encoding was built, and that each column has one more slot than it has
levels: index 0, for a level the training rows never had (a new value at `predict` time).
""", """
## hakseup으로

`tabular` 모델은 수준이 8개 이하인 열을 원-핫으로, 더 많은 열을 임베딩으로 인코딩합니다.
`embedding_dim`을 주면 모든 열을 임베딩합니다(car-evaluation 레시피가 그렇게 합니다). 보고서의
데이터 절은 어떤 인코딩을 만들었는지, 그리고 각 열에 수준보다 한 칸이 더 있다는 것을 말합니다:
인덱스 0, 학습 행에 없던 수준(`predict` 때의 새 값)을 위한 칸입니다.
"""),
    code("""
import hakseup

cars.to_csv("cars.csv", index=False)
embedded = hakseup.fit("cars.csv", target="class", model="tabular", embedding_dim=4,
                       ensemble=1, epochs=40, references="none", tensorboard=False)
print(embedded.bundle.info["summary"]["categorical encoding (tabular model)"])
embedded
"""),
    code("""
embedded.predict(pd.DataFrame({"price": ["low"], "maint": ["low"], "doors": ["4"],
                               "persons": ["4"], "lug_boot": ["big"], "safety": ["ultra"]}))
"""),
)

# -------------------------------------------------------- 8 losses, optimisers, schedulers
tutorial(
    "08-losses-optimisers-schedulers",
    md("""
# Losses, optimisers and schedulers

Three choices in every training loop: what to minimise (the loss), how to step (the
optimiser) and how the step size changes over time (the scheduler).
""", """
# 손실, 옵티마이저, 스케줄러

모든 학습 루프의 세 가지 선택: 무엇을 최소화할지(손실), 어떻게 걸음을 뗄지(옵티마이저), 걸음
크기가 시간에 따라 어떻게 바뀔지(스케줄러).
"""),
    code("""
import torch
from torch import nn

logits = torch.tensor([[2.0, 0.5, -1.0]])
label = torch.tensor([0])
by_hand = -torch.log_softmax(logits, dim=1)[0, label[0]]
print(nn.CrossEntropyLoss()(logits, label).item(), by_hand.item())   # the same number
"""),
    md("""
For regression, an outlier weighs very differently: MSE squares it, MAE (L1) does not,
Huber is quadratic near zero and linear beyond.
""", """
회귀에서는 이상치의 무게가 크게 다릅니다: MSE는 제곱하고, MAE(L1)는 그러지 않고, Huber는 0 근처에서
이차, 그 너머에서 일차입니다.
"""),
    code("""
prediction = torch.zeros(5)
target = torch.tensor([0.1, -0.2, 0.1, 0.0, 8.0])            # one outlier
for name, loss in (("mse", nn.MSELoss()), ("mae", nn.L1Loss()), ("huber", nn.HuberLoss())):
    print(f"{name:5s} {loss(prediction, target).item():.3f}")
"""),
    md("""
## Optimisers

The same small network and data, 150 steps each: plain SGD, SGD with momentum, Adam.
""", """
## 옵티마이저

같은 작은 신경망과 데이터로 각각 150걸음: 순수 SGD, 모멘텀 SGD, Adam.
"""),
    code("""
from sklearn.datasets import load_digits

digits = load_digits()
x = torch.tensor(digits.data, dtype=torch.float32) / 16.0
y = torch.tensor(digits.target)


def final_loss(make_optimizer, steps=150):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    optimizer = make_optimizer(model.parameters())
    for _ in range(steps):
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


for name, make in (("sgd", lambda p: torch.optim.SGD(p, lr=0.1)),
                   ("sgd+momentum", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
                   ("adam", lambda p: torch.optim.Adam(p, lr=0.01))):
    print(f"{name:13s} {final_loss(make):.4f}")
"""),
    md("""
## Schedulers

A scheduler changes the learning rate as training goes: in steps, along a cosine, or up and
then down (one-cycle).
""", """
## 스케줄러

스케줄러는 학습이 진행되면서 학습률을 바꿉니다: 계단식, 코사인을 따라, 또는 올라갔다 내려가며
(one-cycle).
"""),
    code("""
import matplotlib.pyplot as plt


def rates(make_scheduler, steps=100):
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = make_scheduler(optimizer)
    out = []
    for _ in range(steps):
        out.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return out


sched = torch.optim.lr_scheduler
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(rates(lambda o: sched.StepLR(o, step_size=30, gamma=0.3)), label="step")
ax.plot(rates(lambda o: sched.CosineAnnealingLR(o, T_max=100)), label="cosine")
ax.plot(rates(lambda o: sched.OneCycleLR(o, max_lr=0.1, total_steps=100)), label="one-cycle")
ax.set_xlabel("step")
ax.set_ylabel("learning rate")
ax.legend();
"""),
    md("""
## With hakseup

`optimizer` takes any `torch.optim` name, `scheduler` one of hakseup's schedules (`step`,
`cosine`, `onecycle`, `warmup`, ...), `loss` the regression loss. The history logs the
learning rate of every epoch. `hakseup lr-find` sweeps the learning rate and suggests one.
""", """
## hakseup으로

`optimizer`는 어떤 `torch.optim` 이름이든, `scheduler`는 hakseup의 스케줄(`step`, `cosine`,
`onecycle`, `warmup`, ...) 중 하나를 받습니다. 이력은 에포크마다 학습률을 기록합니다.
`hakseup lr-find`는 학습률을 훑어 하나를 제안합니다.
"""),
    code("""
import hakseup

for optimizer, scheduler in (("sgd", "none"), ("adamw", "onecycle")):
    result = hakseup.fit("digits", optimizer=optimizer, scheduler=scheduler, lr=0.01,
                         epochs=4, references="none", tensorboard=False, quiet=True)
    print(optimizer, scheduler, "accuracy", round(result.metrics["accuracy"], 3),
          "lr per epoch", [round(v, 4) for v in result.history["lr"]])
"""),
)

# --------------------------------------------------------------------- 9 K-fold and metrics
tutorial(
    "09-kfold-metrics",
    md("""
# K-fold cross-validation and metrics

One test split of a small table is noisy: another split gives another score. K-fold
cross-validation trains K models, each tested on a different fifth (or K-th) of the rows,
and reports the mean and the spread. The data: scikit-learn's breast-cancer table (569
tumours, 30 measurements, benign or malignant), which ships with it.
""", """
# K-겹 교차 검증과 지표

작은 표의 테스트 분할 하나는 잡음이 큽니다: 다른 분할은 다른 점수를 줍니다. K-겹 교차 검증은 모델
K개를 학습하고, 각각을 행의 다른 5분의 1(또는 K분의 1)로 테스트해 평균과 퍼짐을 보고합니다.
데이터: scikit-learn에 들어 있는 유방암 표(종양 569개, 측정값 30개, 양성 또는 악성).
"""),
    code("""
import numpy as np
import torch
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import (accuracy_score, confusion_matrix, f1_score, precision_score,
                             recall_score, roc_auc_score)
from sklearn.model_selection import StratifiedKFold
from torch import nn

data = load_breast_cancer()
x_all, y_all = data.data.astype(np.float32), data.target


def train_and_score(train, test):
    mean, std = x_all[train].mean(0), x_all[train].std(0)       # training rows only
    x = torch.tensor((x_all - mean) / std)
    y = torch.tensor(y_all)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(30, 16), nn.ReLU(), nn.Linear(16, 2))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(100):
        loss = nn.functional.cross_entropy(model(x[train]), y[train])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        p = torch.softmax(model(x[test]), 1)[:, 1].numpy()
    truth, guess = y_all[test], (p >= 0.5).astype(int)
    return {"accuracy": accuracy_score(truth, guess), "precision": precision_score(truth, guess),
            "recall": recall_score(truth, guess), "f1": f1_score(truth, guess),
            "roc_auc": roc_auc_score(truth, p)}, confusion_matrix(truth, guess)


folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
scores = []
for k, (train, test) in enumerate(folds.split(x_all, y_all)):
    metrics, matrix = train_and_score(train, test)
    scores.append(metrics)
    print(f"fold {k + 1}: " + "  ".join(f"{m} {v:.3f}" for m, v in metrics.items()))
for m in scores[0]:
    values = [s[m] for s in scores]
    print(f"{m:9s} {np.mean(values):.3f} ± {np.std(values):.3f}")
print("last fold's confusion matrix (rows: truth, columns: prediction):\\n", matrix)
"""),
    md("""
Precision: of the tumours called malignant, the share that are; recall: of the malignant
ones, the share found; F1: their harmonic mean; ROC AUC: how well the probabilities rank a
malignant tumour above a benign one, whatever the threshold.

## With hakseup

`hakseup cv` (or `cross_validate` from Python) trains one model per fold and reports
mean ± std; each fold is also scored next to the classical references fitted on the same fold
(left out here for speed: `evaluation.references: none`).
""", """
정밀도: 악성이라고 한 종양 중 실제 악성의 비율, 재현율: 악성 중 찾아낸 비율, F1: 둘의 조화 평균,
ROC AUC: 임계값과 무관하게 확률이 악성을 양성보다 얼마나 위에 두는지.

## hakseup으로

`hakseup cv`(파이썬에서는 `cross_validate`)는 겹마다 모델 하나를 학습해 평균 ± 표준편차를
보고합니다. 겹마다 같은 겹으로 맞춘 고전적 기준 모델 옆에서도 평가합니다(여기서는 속도를 위해
뺍니다: `evaluation.references: none`).
"""),
    code("""
import pandas as pd

import hakseup
from hakseup.experiment.crossval import cross_validate

table = pd.DataFrame(data.data, columns=data.feature_names)
table["diagnosis"] = np.where(data.target == 1, "benign", "malignant")
table.to_csv("tumours.csv", index=False)
cfg = hakseup.load_config(flags={"data.path": "tumours.csv", "data.target": "diagnosis",
                                 "train.epochs": 15, "model.ensemble": 1,
                                 "evaluation.references": "none",
                                 "train.tensorboard": False,
                                 "train.verbosity": "quiet"})
cv = cross_validate(cfg, folds=3)
{m: f"{cv['mean'][m]:.3f} ± {cv['std'][m]:.3f}" for m in ("accuracy", "f1", "roc_auc")}
"""),
    md("""
On the command line: `hakseup cv --data tumours.csv --target diagnosis --folds 5`.
""", """
명령줄에서는: `hakseup cv --data tumours.csv --target diagnosis --folds 5`.
"""),
)

# ------------------------------------------------------------------------- 10 TensorBoard
tutorial(
    "10-tensorboard",
    md("""
# TensorBoard

TensorBoard draws what a training run logs: scalars (losses, the learning rate), histograms
of the weights, the model's graph. In plain PyTorch a `SummaryWriter` writes the event files;
`tensorboard --logdir runs` (in a terminal) serves them at http://localhost:6006.
""", """
# TensorBoard

TensorBoard는 학습 run이 기록한 것을 그립니다: 스칼라(손실, 학습률), 가중치 히스토그램, 모델
그래프. 순수 PyTorch에서는 `SummaryWriter`가 이벤트 파일을 쓰고, 터미널의
`tensorboard --logdir runs`가 http://localhost:6006 에서 보여 줍니다.
"""),
    code("""
import torch
from sklearn.datasets import load_digits
from torch import nn
from torch.utils.tensorboard import SummaryWriter

digits = load_digits()
x = torch.tensor(digits.data, dtype=torch.float32) / 16.0
y = torch.tensor(digits.target)
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
with SummaryWriter("runs/by-hand") as writer:
    for step in range(50):
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        writer.add_scalar("loss/train", loss.item(), step)
    writer.add_histogram("weights/first_layer", model[0].weight, step)
"""),
    md("""
The event files can be read back without the TensorBoard server:
""", """
이벤트 파일은 TensorBoard 서버 없이도 다시 읽을 수 있습니다:
"""),
    code("""
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator


def scalars(folder):
    events = EventAccumulator(str(folder))
    events.Reload()
    return {tag: [round(e.value, 4) for e in events.Scalars(tag)]
            for tag in events.Tags()["scalars"]}


print({tag: values[-3:] for tag, values in scalars("runs/by-hand").items()})
"""),
    md("""
## With hakseup

Every run logs to TensorBoard by default (`tensorboard=False` / `--no-tensorboard` turns it
off), in the run folder's `tb/`: losses, the validation metric, the learning rate, weight
histograms and the graph. `tensorboard --logdir runs` shows every run side by side.
""", """
## hakseup으로

모든 run은 기본으로 TensorBoard에 기록합니다(`tensorboard=False` / `--no-tensorboard`로 끕니다).
run 폴더의 `tb/`에: 손실, 검증 지표, 학습률, 가중치 히스토그램, 그래프.
`tensorboard --logdir runs`는 모든 run을 나란히 보여 줍니다.
"""),
    code("""
import hakseup

logged = hakseup.fit("digits", epochs=3, references="none", quiet=True)
print(logged.run_dir)
print(sorted(scalars(logged.run_dir / "tb")))
"""),
)

# -------------------------------------------------------------- 11 Bayes and Simpson
tutorial(
    "11-bayes-simpson",
    md("""
# Bayes' theorem and Simpson's paradox

Two ideas about reading numbers correctly. Bayes: a positive result from an accurate test
can still mean the condition is unlikely, when the condition is rare. Simpson: a treatment
can look worse overall while being better in every group, when the groups differ.
""", """
# 베이즈 정리와 심슨의 역설

숫자를 바르게 읽는 두 가지 생각. 베이즈: 정확한 검사의 양성 결과도 드문 질환이면 질환이 있을
가능성이 여전히 낮을 수 있습니다. 심슨: 집단들이 다르면, 치료가 모든 집단에서 더 나은데도 전체로는
더 나빠 보일 수 있습니다.
"""),
    md("""
## Bayes' theorem

P(condition | positive) = P(positive | condition) · P(condition) / P(positive). With 1 %
prevalence, 99 % sensitivity and a 5 % false-positive rate:
""", """
## 베이즈 정리

P(질환 | 양성) = P(양성 | 질환) · P(질환) / P(양성). 유병률 1 %, 민감도 99 %, 위양성률 5 %이면:
"""),
    code("""
prevalence, sensitivity, false_positive_rate = 0.01, 0.99, 0.05
positive = sensitivity * prevalence + false_positive_rate * (1 - prevalence)
after_one = sensitivity * prevalence / positive
after_two = sensitivity * after_one / (sensitivity * after_one
                                       + false_positive_rate * (1 - after_one))
print(f"after one positive test: {after_one:.2%}, after two: {after_two:.2%}")
"""),
    code("""
from hakseup.stats.bayes import posteriors

posteriors(prevalence, sensitivity, false_positive_rate, positives=2)
"""),
    md("""
The same with the command, which also shows the counts out of 1,000 people:
""", """
명령으로도 같은 계산을 하며, 1,000명 중의 수도 보여 줍니다:
"""),
    code(cli("bayes --prevalence 0.01 --sensitivity 0.99 --false-positive-rate 0.05 "
             "--positives 2")),
    md("""
## Simpson's paradox: kidney stones

Charig et al. (1986) compared two treatments for kidney stones. The table below is the usual
form: one row per group, with how many patients it stands for. Weighted by those counts,
treatment B succeeds more often overall — yet A is better for small stones *and* for large
ones: A was given to the hard cases (large stones) far more often.
""", """
## 심슨의 역설: 신장 결석

Charig 등(1986)은 신장 결석의 두 치료법을 비교했습니다. 아래 표는 흔한 형태입니다: 집단마다 한 행과,
그 행이 나타내는 환자 수. 그 수로 가중하면 전체로는 B가 더 자주 성공합니다 — 그런데 작은 결석에서도
큰 결석에서도 A가 낫습니다: A가 어려운 경우(큰 결석)에 훨씬 자주 쓰였기 때문입니다.
"""),
    code("""
import pandas as pd

groups = pd.DataFrame({
    "treatment":  ["A", "A", "A", "A", "B", "B", "B", "B"],
    "stone_size": ["small", "small", "large", "large"] * 2,
    "success":    [1, 0, 1, 0, 1, 0, 1, 0],
    "count":      [81, 6, 192, 71, 234, 36, 55, 25]})
groups.to_csv("kidney.csv", index=False)

weighted = groups.assign(successes=groups.success * groups["count"])
overall = weighted.groupby("treatment")[["successes", "count"]].sum()
print((overall.successes / overall["count"]).round(3))
by_size = weighted.groupby(["stone_size", "treatment"])[["successes", "count"]].sum()
print((by_size.successes / by_size["count"]).round(3))
"""),
    md("""
`hakseup adjust` compares the crude effect with the one standardised over the confounder,
and warns when adjusting reverses its sign. The count column is detected by its name (or
named with `--weight count`); counting each row once would compare 2 of 4 rows with 2 of 4.
""", """
`hakseup adjust`는 단순 효과를 교란 변수에 대해 표준화한 효과와 비교하고, 보정으로 부호가 뒤집히면
경고합니다. 수 열은 이름으로 감지됩니다(또는 `--weight count`로 지정). 행마다 한 번씩 세면 4행 중
2행과 4행 중 2행을 비교하게 됩니다.
"""),
    code(cli("adjust kidney.csv --treatment treatment --outcome success "
             "--confounder stone_size")),
    code("""
from hakseup.stats.causal import adjust

result = adjust(groups, "treatment", "success", "stone_size", weight="count")
result["crude_effect"], result["adjusted_effect"], result["simpson"]
"""),
)

# ------------------------------------------------------------------------ 12 checking the GPU
tutorial(
    "12-gpu-check",
    md("""
# Checking the GPU

Training runs where the model's parameters and the data are. Before a long run: is a GPU
visible to PyTorch, which one, and how much memory does it have? The cells below run
anywhere; on a machine without a GPU they say so and use the CPU.
""", """
# GPU 확인

학습은 모델의 파라미터와 데이터가 있는 곳에서 돌아갑니다. 긴 run 전에: PyTorch가 GPU를 보는지,
어떤 GPU인지, 메모리는 얼마인지. 아래 셀은 어디서나 돌아가고, GPU가 없는 기계에서는 그렇다고 말하고
CPU를 씁니다.
"""),
    code("""
import torch

print("PyTorch", torch.__version__, "| CUDA build:", torch.version.cuda)
print("CUDA available:", torch.cuda.is_available())
if torch.cuda.is_available():
    for i in range(torch.cuda.device_count()):
        p = torch.cuda.get_device_properties(i)
        print(i, p.name, f"{p.total_memory / 2**30:.1f} GiB")
device = torch.device("cuda" if torch.cuda.is_available() else
                      "mps" if torch.backends.mps.is_available() else "cpu")
device
"""),
    md("""
A model and its inputs must be on the same device; `.to(device)` moves them.
""", """
모델과 입력은 같은 장치에 있어야 하고, `.to(device)`가 옮깁니다.
"""),
    code("""
model = torch.nn.Linear(64, 10).to(device)
x = torch.randn(32, 64, device=device)
print(model(x).device, next(model.parameters()).device)
"""),
    md("""
## With hakseup

`hakseup doctor` checks the installation and says on which device training would run and
why; `hakseup gpu` shows each GPU's use, memory and temperature (`--watch 1` refreshes it).
Runs choose the device themselves (`--device cuda:1` picks one).
""", """
## hakseup으로

`hakseup doctor`는 설치를 점검하고 학습이 어느 장치에서 왜 돌아갈지 말합니다.
`hakseup gpu`는 GPU마다 사용률, 메모리, 온도를 보여 줍니다(`--watch 1`은 새로 고칩니다).
run은 장치를 스스로 고릅니다(`--device cuda:1`로 지정).
"""),
    code(cli("doctor")),
    code(cli("gpu")),
    code("""
import hakseup

quick = hakseup.fit("digits", epochs=1, references="none", tensorboard=False, quiet=True)
print(quick.summary[4])      # the line that says where it ran
"""),
)


def notebook(cells: list, language: str) -> nbformat.NotebookNode:
    k = 1 if language == "en" else 2
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    out = []
    for i, cell in enumerate(cells):
        if cell[0] == "md":
            out.append(nbformat.v4.new_markdown_cell(cell[k]))
        else:
            out.append(nbformat.v4.new_code_cell(cell[k]))
        if i == 0 and language == "ko":
            out.append(nbformat.v4.new_code_cell(KO_SETUP))
    for n, cell in enumerate(out):       # stable ids: regenerating changes nothing
        cell["id"] = f"cell-{n}"
    nb.cells = out
    return nb


def _keep_outputs(nb: nbformat.NotebookNode, path: Path) -> None:
    """The outputs of the stored notebook's cells whose id and source are unchanged."""
    if not path.exists():
        return
    stored = {c.get("id"): c for c in nbformat.read(path, as_version=4).cells
              if c.cell_type == "code"}
    for cell in nb.cells:
        old = stored.get(cell.get("id"))
        if cell.cell_type == "code" and old is not None and old.source == cell.source:
            cell.outputs, cell.execution_count = old.outputs, old.execution_count


def render() -> dict[Path, str]:
    """Every notebook's path and text (with the stored outputs of unchanged cells)."""
    files = {}
    for slug, cells in TUTORIALS:
        for language, suffix in (("en", ""), ("ko", ".ko")):
            path = HERE / f"{slug}{suffix}.ipynb"
            nb = notebook(cells, language)
            _keep_outputs(nb, path)
            files[path] = nbformat.writes(nb)
    return files


def execute(path: Path) -> float:
    """Runs one notebook as ``tests/test_tutorials.py`` does and stores its outputs; the
    seconds it took."""
    import nbclient

    nb = nbformat.read(path, as_version=4)
    os.environ["TQDM_DISABLE"] = "1"          # inherited by the kernel; see the docstring
    os.environ.pop("MPLBACKEND", None)        # the kernel chooses its inline backend
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tutorial-") as folder:
        # coalesce_streams: a cell's printed lines in one block, not one block per print.
        nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", coalesce_streams=True,
                                resources={"metadata": {"path": folder}}).execute()
    seconds = time.perf_counter() - t0
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    return seconds


def write_all() -> None:
    for path, text in render().items():
        path.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    write_all()
    print(f"{len(TUTORIALS)} tutorials, {2 * len(TUTORIALS)} notebooks", file=sys.stderr)
    if sys.argv[1:2] == ["--execute"]:
        names = sys.argv[2:]
        for path in sorted(HERE.glob("*.ipynb")):
            if not names or any(path.name.startswith(n) for n in names):
                print(f"{path.name}: {execute(path):.1f} s", file=sys.stderr, flush=True)
        write_all()       # the outputs only: not the kernel's metadata and cell timings
