import numpy as np
from utils import relu, sigmoid, X_train, y_train


class Layer:
    def __init__(self, n_inputs, n_neurons, activation_function):
        self.weights = np.random.uniform(-1, 1, (n_neurons, n_inputs))
        self.biases = np.zeros((n_neurons, 1))
        self.activation = activation_function
        self.inputs = None
        self.outputs = None

    def forward(self, inputs):
        self.inputs = np.array(inputs, dtype=float).reshape(-1, 1)
        self.outputs = self.weights @ self.inputs + self.biases
        return self.activation(self.outputs)

    def backward(self, dA, lr):
        dZ = dA * self.activation.derivative(self.outputs)
        dW = np.dot(dZ, self.inputs.T)
        db = dZ
        dA_prev = np.dot(self.weights, dZ)
        self.weights = self.weights - lr * dW
        self.biases = self.biases - lr * db
        return dA_prev


class Perceptron:
    def __init__(self, layers):
        self.layers = layers

    def forward(self, inputs):
        for layer in self.layers:
            inputs = layer.forward(inputs)
        return inputs

    def fit(self, X, Y, epochs, lr):
        for epoch in range(epochs):
            cost = 0.0
            for x, y in zip(X, Y):
                a = self.forward(x)
                cost += (-(y * np.log(a) + (1 - y) * np.log(1 - a))).item()
                dA = (a - y) / (a * (1 - a))
                for layer in reversed(self.layers):
                    dA = layer.backward(dA, lr)
            average_loss = cost / len(X)
            print(f"Loss at epoch {epoch + 1}: {average_loss:.3f}")


if __name__ == "__main__":
    mlp = Perceptron([Layer(2, 6, relu), Layer(6, 6, relu), Layer(6, 1, sigmoid)])
    mlp.fit(X_train, y_train, 30, 0.01)
