"""One optimiser step, and one epoch of them: the training loop that `python -m cls_core.train`
and the experiments share.

    optimizer, scheduler = one_cycle_adamw(model, lr=2e-3, weight_decay=0.01, total_steps=n)
    train_epoch(model, encoded, labels, batches, optimizer, device,
                Objective(label_smoothing=0.1, clip=1.0), scheduler)

A step reads one batch of encoded headlines, takes the loss of Objective, and steps the
optimiser and the learning-rate schedule. Mixed precision and the distillation targets of a
teacher are optional; without them the step is a plain fp32 forward, backward and optimiser
step. Mixed precision is an autocast dtype (cls_core.models.precision.training_precision):
bf16 needs nothing more, its exponent being fp32's; fp16 needs an enabled GradScaler, which
scales the loss up so that small gradients do not underflow to zero.
"""

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from cls_core.data import pad_batch

UNK_ID = 1  # the id of <UNK> in every vocabulary (cls_core.data.encoding.Vocab)


@dataclass
class Objective:
    """What a step minimises, and how it treats its batch.

    label_smoothing: of the cross-entropy against the labels.
    clip: the largest gradient norm (None: no clipping).
    char_dropout: the share of characters hidden behind <UNK> at each step.
    teacher: [N, C] probabilities per training headline to distil from (None: none), mixed
        into the loss with distill_weight; a row of zeros: none for that headline.
    label_sets: [N, C] booleans per training headline, the classes it may rightly be (None:
        its one label). A headline of several (NLPCC's finance: finance or stocks) is learnt
        as such: its loss is -log of the summed probability of its classes (set_loss).
    weights: [N] per training headline, its weight in the loss (None: all 1).
    second_labels: [N] per training headline, its label for the network's second head (-1:
        none), whose loss is added at second_weight (None: no second head; see SecondHead).
    """

    label_smoothing: float = 0.0
    clip: float | None = None
    char_dropout: float = 0.0
    teacher: torch.Tensor | None = None
    distill_weight: float = 0.5
    label_sets: torch.Tensor | None = None
    weights: torch.Tensor | None = None
    second_labels: torch.Tensor | None = None
    second_weight: float = 1.0


class SecondHead(nn.Module):
    """A network with a second classifier over the same features, for training alone: the
    lines of a source's own labels (NLPCC's car, military...) teach the encoder through it.
    forward gives (the network's logits, the second head's); the network itself is what is
    evaluated and saved."""

    def __init__(self, network, num_classes):
        super().__init__()
        self.network = network
        self.head = nn.Linear(network.classifier.in_features, num_classes)

    def forward(self, chars, bigrams, lengths):
        features = self.network.dropout(self.network.features(chars, bigrams, lengths))
        return self.network.classifier(features), self.head(features)


def set_loss(logits, allowed, label_smoothing=0.0):
    """Per headline: -log of the summed probability of its allowed classes ([B, C] booleans),
    mixed with label smoothing as F.cross_entropy mixes it ((1 - e) * that + e * the mean of
    -log p over all classes). With one allowed class it is F.cross_entropy's loss, unreduced.
    A headline with no allowed class (one for the second head alone) has loss 0."""
    labelled = allowed.any(dim=-1)
    allowed = allowed | ~labelled[:, None]  # all allowed: -log 1 = 0, and a gradient of 0, not NaN
    log_p = F.log_softmax(logits.float(), dim=-1)
    nll = -log_p.masked_fill(~allowed, float("-inf")).logsumexp(dim=-1)
    return ((1 - label_smoothing) * nll + label_smoothing * -log_p.mean(dim=-1)) * labelled


def one_cycle_adamw(model, lr, weight_decay, total_steps, warmup=0.1):
    """(optimizer, scheduler): AdamW under a one-cycle schedule that warms up over the
    first `warmup` share of the steps to lr, then anneals."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    # OneCycleLR divides by the length of each phase in steps less one: a warm-up of exactly
    # one step (or a phase of none) divides by zero. A short run (a small labelled file of
    # one's own) warms up over at least 2 steps, and over at most half of them.
    total_steps = max(total_steps, 4)
    if warmup > 0:
        warmup = min(max(warmup, 2 / total_steps), 0.5)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=total_steps, pct_start=warmup)
    return optimizer, scheduler


def hide_characters(chars, bigrams, share):
    """Random characters (and the bigrams they start) hidden behind <UNK>: the model learns
    to decide from many characters, and what an unseen character means."""
    hidden = (torch.rand(chars.shape, device=chars.device) < share) & (chars > 0)
    return chars.masked_fill(hidden, UNK_ID), bigrams.masked_fill(hidden & (bigrams > 0), UNK_ID)


def train_step(
    network,
    batch,
    labels,
    optimizer,
    objective,
    scheduler=None,
    scaler=None,
    soft_targets=None,
    autocast_dtype=None,
    allowed=None,
    weights=None,
    second_labels=None,
):
    """One optimiser step on batch = (chars, bigrams, lengths); returns (logits, loss).
    autocast_dtype: bf16 or fp16 to compute the forward pass in under autocast (None: fp32);
    scaler: a GradScaler, used when enabled (fp16 needs one). allowed ([B, C] booleans),
    weights ([B]) and second_labels ([B]): the batch's rows of objective.label_sets,
    objective.weights and objective.second_labels (network then is a SecondHead)."""
    chars, bigrams, lengths = batch
    if objective.char_dropout:
        chars, bigrams = hide_characters(chars, bigrams, objective.char_dropout)
    scaled = scaler is not None and scaler.is_enabled()
    with torch.autocast(chars.device.type, dtype=autocast_dtype, enabled=autocast_dtype is not None):
        logits = network(chars, bigrams, lengths)
        if second_labels is not None:
            logits, second_logits = logits
        if allowed is None:
            per_headline = F.cross_entropy(
                logits.float(), labels, reduction="none", label_smoothing=objective.label_smoothing
            )
        else:
            per_headline = set_loss(logits, allowed, objective.label_smoothing)
        if weights is not None:
            per_headline = per_headline * weights
        if soft_targets is not None:  # cross-entropy against the teacher's probabilities
            # A headline the teacher has no judgement of (a zero row: a line of another source
            # than the teacher's) learns from its label alone.
            share = objective.distill_weight * (soft_targets.sum(dim=-1) > 0)
            soft = F.cross_entropy(logits.float(), soft_targets, reduction="none")
            per_headline = (1 - share) * per_headline + share * soft
        loss = per_headline.mean()
        if second_labels is not None:
            second = F.cross_entropy(
                second_logits.float(),
                second_labels.clamp(min=0),
                reduction="none",
                label_smoothing=objective.label_smoothing,
            ) * (second_labels >= 0)
            second = second * weights if weights is not None else second
            loss = loss + objective.second_weight * second.mean()
    optimizer.zero_grad(set_to_none=True)
    if scaled:
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)  # so that clipping sees the true gradients
    else:
        loss.backward()
    if objective.clip is not None:
        torch.nn.utils.clip_grad_norm_(network.parameters(), objective.clip)
    if scaled:
        scaler.step(optimizer)
        scaler.update()
    else:
        optimizer.step()
    if scheduler is not None:
        scheduler.step()
    return logits, loss


def train_epoch(
    network,
    encoded,
    labels,
    batches,
    optimizer,
    device,
    objective=None,
    scheduler=None,
    scaler=None,
    after_step=None,
    autocast_dtype=None,
):
    """One train_step per batch of `batches` (index arrays into encoded, the (chars, bigrams)
    id lists, and labels, a LongTensor); after_step(index, logits, labels, loss), when
    given, runs after each step (weight averages, running figures, logs). scaler and
    autocast_dtype: the mixed precision, as train_step takes it."""
    objective = objective or Objective()
    network.train()
    for index in batches:
        chars, bigrams, lengths = (t.to(device) for t in pad_batch([encoded[i] for i in index]))
        y = labels[index].to(device)
        soft, allowed, weights, second = (
            None if rows is None else rows[index].to(device)
            for rows in (objective.teacher, objective.label_sets, objective.weights, objective.second_labels)
        )
        logits, loss = train_step(
            network,
            (chars, bigrams, lengths),
            y,
            optimizer,
            objective,
            scheduler,
            scaler,
            soft,
            autocast_dtype,
            allowed,
            weights,
            second,
        )
        if after_step is not None:
            after_step(index, logits, y, loss)
