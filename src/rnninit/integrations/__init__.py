"""rnninit inside the libraries that build and train recurrent models, one module per library.

Each module imports its library when *you* import it (nothing here is imported by
``import rnninit``), and is installed by the extra of the same name:

* :mod:`rnninit.integrations.sb3`: sb3-contrib's recurrent agents (``RecurrentPPO``),
  ``pip install rnninit[sb3]``: :func:`~rnninit.integrations.sb3.init_agent_` starts an agent's
  LSTMs with any scheme, ``"auto"`` calibrated on rollouts of the agent's own environment; the
  policy classes ``LearnedStateMlpLstmPolicy`` (and ``Cnn``/``MultiInput``) start every
  episode from a learned initial state instead of zeros.
* :mod:`rnninit.integrations.lightning`: any PyTorch Lightning training loop,
  ``pip install rnninit[lightning]``: the callback :class:`~rnninit.integrations.lightning.RnnInit`
  starts the model's recurrent layers once when fitting starts (``"auto"`` on the first training
  batches), never again on resume; it reaches the models pytorch-forecasting, neuralforecast,
  darts and GluonTS build, lazily or not, through their trainer's callbacks.

The page ``docs/integrations.md`` shows the few lines for each library.
"""
